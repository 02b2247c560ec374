using System.Net;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Whistle.Tests.Support;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Whistle.Tests.Operations;

/// <summary>
/// deploy/ says what runs where; no Docker engine or cluster runs here, so every name it uses is checked
/// against the code: the YAML parses, and every image, port, variable, probe path and project exists.
/// </summary>
[NonParallelizable]
public sealed partial class When_an_operator_deploys_from_the_deploy_folder
{
    private static readonly string Root = Repository.Root;
    private static readonly string Deploy = Path.Combine(Root, "deploy");

    private static IEnumerable<string> YamlFiles() =>
        Directory.EnumerateFiles(Deploy, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    private static List<(string File, YamlNode Root)> Documents() =>
        YamlFiles().SelectMany(file =>
        {
            // Merge keys (<<: *anchor, as compose uses them) resolved, as compose resolves them.
            var stream = new YamlStream();
            using var reader = new StreamReader(file);
            stream.Load(new MergingParser(new Parser(reader)));
            return stream.Documents.Select(d => (Path.GetRelativePath(Root, file), d.RootNode));
        }).ToList();

    private static IEnumerable<YamlNode> Walk(YamlNode node) => node switch
    {
        YamlMappingNode map => new[] { node }.Concat(map.Children.SelectMany(kv => Walk(kv.Key).Concat(Walk(kv.Value)))),
        YamlSequenceNode seq => new[] { node }.Concat(seq.Children.SelectMany(Walk)),
        _ => [node],
    };

    private static IEnumerable<(string Key, YamlNode Value)> Pairs(YamlNode node) =>
        Walk(node).OfType<YamlMappingNode>().SelectMany(m => m.Children.Select(kv => (((kv.Key as YamlScalarNode)?.Value) ?? "", kv.Value)));

    private static string? Scalar(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var next))
            {
                return null;
            }

            node = next;
        }

        return (node as YamlScalarNode)?.Value;
    }

    /// <summary>The base's manifests (deploy/k8s itself; overlays such as deploy/k8s/postgres only patch them).</summary>
    private static List<(string File, YamlMappingNode Doc)> Kubernetes() =>
        Documents().Where(d => IsIn(d.File, "k8s") && Scalar(d.Root, "kind") is not null && Scalar(d.Root, "kind") != "Kustomization")
            .Select(d => (d.File, (YamlMappingNode)d.Root)).ToList();

    private static YamlMappingNode Kustomization(string folder) =>
        (YamlMappingNode)Documents().Single(d => IsIn(d.File, folder) && Path.GetFileName(d.File) == "kustomization.yaml").Root;

    private static bool IsIn(string file, string folder) =>
        Path.GetDirectoryName(Path.GetFullPath(Path.Combine(Root, file))) == Path.GetFullPath(Path.Combine(Deploy, folder));

    /// <summary>A compose file as written (tags such as !override kept; merge keys resolved).</summary>
    private static YamlMappingNode Compose(string file) =>
        (YamlMappingNode)Documents().Single(d => d.File == Path.Combine("deploy", "compose", file)).Root;

    private static string Dockerfile(string image) => Path.Combine(Deploy, "docker", $"{image}.Dockerfile");

    private static readonly Dictionary<string, string> ProjectOfImage = new()
    {
        ["whistle-api"] = "Whistle.Api",
        ["whistle-dispatcher"] = "Whistle.Dispatcher",
    };

    /// <summary>Infrastructure images deploy/README.md names; each pinned to a version line.</summary>
    private static readonly string[] InfrastructureImages = ["rabbitmq", "mcr.microsoft.com/mssql/server", "postgres", "nginx"];

    [Test]
    public void Should_parse_every_YAML_file()
    {
        Assert.That(YamlFiles().Select(f => Path.GetRelativePath(Deploy, f)), Is.SupersetOf(new[]
        {
            Path.Combine("compose", "compose.yaml"),
            Path.Combine("compose", "compose.postgres.yaml"),
            Path.Combine("k8s", "postgres", "kustomization.yaml"),
            Path.Combine("k8s", "postgres", "configmap.yaml"),
            Path.Combine("k8s", "api.yaml"),
            Path.Combine("k8s", "dispatcher.yaml"),
            Path.Combine("k8s", "ingress.yaml"),
            Path.Combine("k8s", "autoscaling.yaml"),
            Path.Combine("k8s", "configmap.yaml"),
            Path.Combine("k8s", "migrate-job.yaml"),
        }));
        Assert.That(Documents(), Has.Count.GreaterThanOrEqualTo(14));
        var kinds = Kubernetes().Select(d => Scalar(d.Doc, "kind")).ToList();
        Assert.That(kinds, Is.SupersetOf(new[] { "Namespace", "ConfigMap", "Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Job" }));
        var resources = Kustomization("k8s")["resources"];
        Assert.That(((YamlSequenceNode)resources).Children.Select(r => Path.Combine(Deploy, "k8s", ((YamlScalarNode)r).Value!)), Is.All.Matches<string>(File.Exists));
    }

    [Test]
    public void Should_use_images_that_are_built_here_or_pinned_infrastructure()
    {
        var images = Pairs(new YamlSequenceNode(Documents().Select(d => d.Root))).Where(p => p.Key is "image" or "name" && p.Value is YamlScalarNode)
            .Where(p => p.Key == "image" || ProjectOfImage.ContainsKey(((YamlScalarNode)p.Value).Value!))
            .Select(p => ((YamlScalarNode)p.Value).Value!)
            .ToList();
        Assert.That(images, Has.Count.GreaterThanOrEqualTo(8));
        Assert.Multiple(() =>
        {
            foreach (var image in images.Distinct())
            {
                var reference = VersionVariable().Replace(image, "$1");
                var name = reference.Split(':')[0];
                var tag = reference.Contains(':', StringComparison.Ordinal) ? reference.Split(':')[1] : null;
                if (ProjectOfImage.ContainsKey(name))
                {
                    Assert.That(File.Exists(Dockerfile(name)), $"{image}: deploy/docker/{name}.Dockerfile builds it");
                    continue;
                }

                Assert.That(InfrastructureImages, Does.Contain(name), $"{image} is ours or named infrastructure");
                Assert.That(tag, Is.Not.Null.And.Not.EqualTo("latest"), $"{image} is pinned to a version line");
            }
        });
        var kustomized = Pairs(Kustomization("k8s"))
            .Where(p => p.Key == "newName").Select(p => ((YamlScalarNode)p.Value).Value!.Split('/').Last());
        Assert.That(kustomized, Is.EquivalentTo(ProjectOfImage.Keys));
    }

    [TestCase("whistle-api")]
    [TestCase("whistle-dispatcher")]
    public void Should_build_each_image_from_its_project(string image)
    {
        var text = File.ReadAllText(Dockerfile(image)).Replace("\\\n", " ", StringComparison.Ordinal);
        var lines = text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var project = ProjectOfImage[image];
        var targetFramework = Regex.Match(File.ReadAllText(Path.Combine(Root, "Directory.Build.props")), "<TargetFramework>net(\\d+)\\.0</TargetFramework>").Groups[1].Value;
        Assert.Multiple(() =>
        {
            // Every file or folder the build copies from the context exists.
            foreach (var copy in lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from", StringComparison.Ordinal)))
            {
                foreach (var source in copy.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1])
                {
                    Assert.That(Path.Exists(Path.Combine(Root, source.TrimEnd('/'))), $"{image}: COPY {source}");
                }
            }

            Assert.That(lines, Has.Some.Matches<string>(l => l == $"RUN dotnet publish {project}/{project}.csproj -c Release -o /app --no-restore" || l.StartsWith($"RUN dotnet publish {project}/{project}.csproj -c Release -o /app --no-restore ", StringComparison.Ordinal)), "publishes its project");
            Assert.That(File.Exists(Path.Combine(Root, project, $"{project}.csproj")));
            Assert.That(lines.Last(l => l.StartsWith("ENTRYPOINT", StringComparison.Ordinal)), Is.EqualTo($"ENTRYPOINT [\"dotnet\", \"{project}.dll\"]"));
            var froms = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
            Assert.That(froms, Has.Some.StartsWith($"FROM mcr.microsoft.com/dotnet/sdk:{targetFramework}.0 AS build"));
            Assert.That(froms.Last(), Is.EqualTo($"FROM mcr.microsoft.com/dotnet/aspnet:{targetFramework}.0 AS runtime"), "a small runtime image (both processes use ASP.NET Core)");
            Assert.That(lines.Last(l => l.StartsWith("USER ", StringComparison.Ordinal)), Is.EqualTo("USER $APP_UID"), "not root");
            if (image == "whistle-api")
            {
                Assert.That(froms[0], Does.StartWith("FROM node:20-"), "Whistle.Web builds with Node.js 20");
                Assert.That(lines, Does.Contain("COPY --from=web /src/Whistle.Web/dist/ Whistle.Web/dist/"));
            }

            // The port it listens on, exposes and checks is one.
            var expose = lines.Single(l => l.StartsWith("EXPOSE ", StringComparison.Ordinal))["EXPOSE ".Length..];
            var listen = image == "whistle-api" ? "URLS=http://+:" : "Whistle__Dispatcher__HealthUrls=http://+:";
            Assert.That(text, Does.Contain(listen + expose));
            var health = lines.Single(l => l.StartsWith("HEALTHCHECK", StringComparison.Ordinal));
            Assert.That(health, Does.Contain($"curl -fsS http://localhost:{expose}/health/live"));
        });
    }

    /// <summary>Every configuration key the code binds: the options classes' sections and properties.</summary>
    internal static HashSet<string> OptionKeys()
    {
        var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var assemblies = new[] { typeof(Core.Options.WhistleOptions).Assembly, typeof(Api.Hosting.ApiOptions).Assembly, typeof(Dispatcher.DispatcherProgram).Assembly };
        foreach (var type in assemblies.SelectMany(a => a.GetTypes()))
        {
            if (type.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field && field.GetRawConstantValue() is string section && section.StartsWith("Whistle", StringComparison.Ordinal))
            {
                AddKeys(type, section, keys);
            }
        }

        return keys;

        static void AddKeys(Type type, string prefix, HashSet<string> keys)
        {
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
            {
                var t = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
                if (t.IsClass && t != typeof(string) && t.Namespace?.StartsWith("Whistle", StringComparison.Ordinal) == true)
                {
                    AddKeys(t, $"{prefix}:{property.Name}", keys);
                }
                else
                {
                    keys.Add($"{prefix}:{property.Name}");
                }
            }
        }
    }

    /// <summary>Environment variables set anywhere in deploy/: compose, Kubernetes, Dockerfiles, the env file template.</summary>
    private static List<(string Where, string Name)> EnvironmentVariables()
    {
        var found = new List<(string, string)>();
        foreach (var (file, root) in Documents())
        {
            foreach (var (key, value) in Pairs(root))
            {
                if (key == "environment" && value is YamlMappingNode map)
                {
                    found.AddRange(map.Children.Select(kv => ((YamlScalarNode)kv.Key).Value!).Where(k => k != "<<").Select(k => (file, k)));
                }
                else if (key == "environment" && value is YamlSequenceNode list)
                {
                    found.AddRange(list.Children.Select(i => ((YamlScalarNode)i).Value!.Split('=')[0]).Select(k => (file, k)));
                }
                else if (key == "env" && value is YamlSequenceNode env)
                {
                    found.AddRange(env.Children.Select(e => Scalar(e, "name")!).Select(k => (file, k)));
                }
            }

            if (Scalar(root, "kind") == "ConfigMap" && root["data"] is YamlMappingNode data)
            {
                found.AddRange(data.Children.Select(kv => (file, ((YamlScalarNode)kv.Key).Value!)));
            }
        }

        foreach (var dockerfile in Directory.EnumerateFiles(Path.Combine(Deploy, "docker"), "*.Dockerfile"))
        {
            var text = File.ReadAllText(dockerfile).Replace("\\\n", " ", StringComparison.Ordinal);
            foreach (Match env in EnvAssignment().Matches(string.Join('\n', text.Split('\n').Where(l => l.TrimStart().StartsWith("ENV ", StringComparison.Ordinal)))))
            {
                found.Add((Path.GetFileName(dockerfile), env.Groups[1].Value));
            }
        }

        found.AddRange(File.ReadAllLines(Path.Combine(Deploy, "compose", "whistle.env.example"))
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => ("whistle.env.example", l.Split('=')[0])));
        return found;
    }

    [Test]
    public void Should_set_only_variables_the_code_reads()
    {
        var keys = OptionKeys();
        Assert.That(keys, Does.Contain("Whistle:Database:Migrate").And.Contain("Whistle:Bus:RabbitMq:Password").And.Contain("Whistle:Dispatcher:HealthUrls"), "the reflection finds the options");
        var variables = EnvironmentVariables();
        Assert.That(variables.Select(v => v.Name), Does.Contain("Whistle__Auth__SigningKey").And.Contain("Whistle__Database__ConnectionString"));
        string[] infrastructure = ["URLS", "OTEL_EXPORTER_OTLP_ENDPOINT", "RABBITMQ_DEFAULT_USER", "RABBITMQ_DEFAULT_PASS", "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "MSSQL_SA_PASSWORD", "MSSQL_PID", "ACCEPT_EULA", "POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "POSTGRES_INITDB_ARGS"];
        Assert.Multiple(() =>
        {
            foreach (var (where, name) in variables.Distinct())
            {
                if (name.StartsWith("Whistle__", StringComparison.Ordinal))
                {
                    Assert.That(keys, Does.Contain(name.Replace("__", ":", StringComparison.Ordinal)), $"{where}: {name} is no option the code binds");
                }
                else
                {
                    Assert.That(infrastructure, Does.Contain(name), $"{where}: {name} is neither a Whistle option nor a known infrastructure variable");
                }
            }
        });
    }

    [Test]
    public void Should_keep_secrets_out_of_the_repository()
    {
        var gitignore = File.ReadAllLines(Path.Combine(Root, ".gitignore"));
        var example = File.ReadAllLines(Path.Combine(Deploy, "compose", "whistle.env.example")).Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#')).ToList();
        var secretRefs = Pairs(new YamlSequenceNode(Kubernetes().Select(d => (YamlNode)d.Doc))).Where(p => p.Key == "secretKeyRef").Select(p => Scalar(p.Value, "name")).Distinct().ToList();
        Assert.Multiple(() =>
        {
            Assert.That(gitignore, Does.Contain("deploy/compose/whistle.env"));
            Assert.That(example.Where(l => Regex.IsMatch(l, "(?i)(password|pass|signingkey)=")), Is.All.Contains("CHANGE-ME"));
            Assert.That(Kubernetes().Select(d => Scalar(d.Doc, "kind")), Does.Not.Contain("Secret"), "the Secret is created by the operator, not committed");
            Assert.That(secretRefs, Is.EqualTo(new[] { "whistle-secrets" }));
            Assert.That(Documents().Where(d => d.File.Contains("compose", StringComparison.Ordinal)).SelectMany(d => Pairs(d.Root)).Where(p => p.Key == "env_file").Select(p => ((YamlScalarNode)p.Value).Value), Is.All.EqualTo("whistle.env"));
        });
    }

    [Test]
    public void Should_wire_ports_services_and_the_migration_step_consistently()
    {
        var compose = Compose("compose.yaml");
        var services = (YamlMappingNode)compose["services"];
        var names = services.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToList();
        var nginx = File.ReadAllText(Path.Combine(Deploy, "compose", "nginx.conf"));
        var apiPort = Regex.Match(File.ReadAllText(Dockerfile("whistle-api")), "EXPOSE (\\d+)").Groups[1].Value;
        var dispatcherPort = Regex.Match(File.ReadAllText(Dockerfile("whistle-dispatcher")), "EXPOSE (\\d+)").Groups[1].Value;
        Assert.Multiple(() =>
        {
            Assert.That(names, Is.SupersetOf(new[] { "rabbitmq", "sqlserver", "migrate", "api-1", "api-2", "dispatcher", "proxy" }));
            Assert.That(Scalar(services["dispatcher"], "deploy", "replicas"), Is.EqualTo("2"));
            Assert.That(Scalar(services["rabbitmq"], "image"), Does.EndWith("-management"), "the management UI");
            Assert.That(Scalar(services["api-1"], "build", "dockerfile"), Is.EqualTo("deploy/docker/whistle-api.Dockerfile"));
            Assert.That(Scalar(services["migrate"], "build", "dockerfile"), Is.EqualTo("deploy/docker/whistle-dispatcher.Dockerfile"));
            Assert.That(Path.GetFullPath(Path.Combine(Deploy, "compose", Scalar(services["api-1"], "build", "context")!)), Is.EqualTo(Root));
            Assert.That(((YamlSequenceNode)services["migrate"]["command"]).Children.Select(c => ((YamlScalarNode)c).Value), Is.EqualTo(new[] { Dispatcher.DispatcherProgram.MigrateCommand }));
            Assert.That(Scalar(services["api-1"], "depends_on", "migrate", "condition"), Is.EqualTo("service_completed_successfully"));
            foreach (var mount in ((YamlSequenceNode)services["proxy"]["volumes"]).Children.Select(v => ((YamlScalarNode)v).Value!.Split(':')[0]))
            {
                Assert.That(File.Exists(Path.Combine(Deploy, "compose", mount)), $"proxy mounts {mount}");
            }

            foreach (Match server in Regex.Matches(nginx, "server ([\\w-]+):(\\d+)"))
            {
                Assert.That(names, Does.Contain(server.Groups[1].Value), $"nginx upstream {server.Value}");
                Assert.That(server.Groups[2].Value, Is.EqualTo(apiPort), $"nginx upstream {server.Value}");
            }

            Assert.That(nginx, Does.Contain("proxy_set_header Upgrade $http_upgrade;").And.Contain("proxy_set_header Connection $connection_upgrade;").And.Contain("ip_hash;"), "WebSockets, sticky");

            // Kubernetes: container ports are the images' ports; probes, Services and the Ingress name ports that exist.
            var deployments = Kubernetes().Where(d => Scalar(d.Doc, "kind") is "Deployment" or "Job").ToList();
            foreach (var (file, doc) in deployments)
            {
                foreach (var container in ((YamlSequenceNode)doc["spec"]["template"]["spec"]["containers"]).Children.Cast<YamlMappingNode>())
                {
                    var image = Scalar(container, "image")!.Split(':')[0];
                    var ports = container.Children.TryGetValue(new YamlScalarNode("ports"), out var p)
                        ? ((YamlSequenceNode)p).Children.ToDictionary(x => Scalar(x, "name")!, x => Scalar(x, "containerPort")!)
                        : [];
                    Assert.That(ports.Values, Is.All.EqualTo(image == "whistle-api" ? apiPort : dispatcherPort), $"{file}: {image} ports");
                    foreach (var probe in new[] { "startupProbe", "livenessProbe", "readinessProbe" })
                    {
                        var port = Scalar(container, probe, "httpGet", "port");
                        if (Scalar(doc, "kind") == "Deployment")
                        {
                            Assert.That(port, Is.Not.Null, $"{file}: {image} has a {probe}");
                            Assert.That(ports.Keys, Does.Contain(port), $"{file}: {probe} port");
                        }
                    }
                }
            }

            var api = Kubernetes().Single(d => Scalar(d.Doc, "kind") == "Deployment" && Scalar(d.Doc, "metadata", "name") == "whistle-api").Doc;
            var env = ((YamlSequenceNode)api["spec"]["template"]["spec"]["containers"][0]["env"]).Children;
            Assert.That(env.Any(e => Scalar(e, "name") == "Whistle__Api__TrustForwardedHeaders" && Scalar(e, "value") == "true"), "behind the Ingress");
            var dispatcher = Kubernetes().Single(d => Scalar(d.Doc, "kind") == "Deployment" && Scalar(d.Doc, "metadata", "name") == "whistle-dispatcher").Doc;
            var dispatcherEnv = ((YamlSequenceNode)dispatcher["spec"]["template"]["spec"]["containers"][0]["env"]).Children;
            Assert.That(dispatcherEnv.Single(e => Scalar(e, "name") == "Whistle__Dispatcher__HealthUrls").Let(e => Scalar(e, "value")), Is.EqualTo($"http://+:{dispatcherPort}"));
            var job = Kubernetes().Single(d => Scalar(d.Doc, "kind") == "Job").Doc;
            Assert.That(((YamlSequenceNode)job["spec"]["template"]["spec"]["containers"][0]["args"]).Children.Select(a => ((YamlScalarNode)a).Value), Is.EqualTo(new[] { Dispatcher.DispatcherProgram.MigrateCommand }));
            var configMap = Kubernetes().Single(d => Scalar(d.Doc, "kind") == "ConfigMap").Doc;
            Assert.That(Scalar(configMap, "data", "Whistle__Database__Migrate"), Is.EqualTo("false"), "instances never migrate; the Job does");

            foreach (var service in Kubernetes().Where(d => Scalar(d.Doc, "kind") == "Service"))
            {
                var selector = Scalar(service.Doc, "spec", "selector", "app.kubernetes.io/name");
                var target = deployments.Single(d => Scalar(d.Doc, "metadata", "name") == selector).Doc;
                var portNames = ((YamlSequenceNode)target["spec"]["template"]["spec"]["containers"][0]["ports"]).Children.Select(x => Scalar(x, "name"));
                foreach (var port in ((YamlSequenceNode)service.Doc["spec"]["ports"]).Children)
                {
                    Assert.That(portNames, Does.Contain(Scalar(port, "targetPort")), $"Service {selector} targets a container port");
                }
            }

            var ingress = Kubernetes().Single(d => Scalar(d.Doc, "kind") == "Ingress").Doc;
            var backend = Pairs(ingress).First(p => p.Key == "service").Value;
            Assert.That(Scalar(backend, "name"), Is.EqualTo("whistle-api"));
            Assert.That(Scalar(backend, "port", "name"), Is.EqualTo("http"));
            Assert.That(Scalar(ingress, "metadata", "annotations", "nginx.ingress.kubernetes.io/affinity"), Is.EqualTo("cookie"), "negotiate and WebSocket reach one pod");
            Assert.That(Scalar(ingress, "metadata", "annotations", "nginx.ingress.kubernetes.io/proxy-read-timeout"), Is.EqualTo("3600"), "WebSockets stay open");
        });
    }

    /// <summary>
    /// compose.postgres.yaml, over compose.yaml: PostgreSQL in SQL Server's place, and every Whistle process told so;
    /// its password and connection string are the env file's (the example names them).
    /// </summary>
    [Test]
    public void Should_run_on_PostgreSQL_with_the_compose_override()
    {
        var baseFile = Compose("compose.yaml");
        var over = Compose("compose.postgres.yaml");
        var baseServices = (YamlMappingNode)baseFile["services"];
        var services = (YamlMappingNode)over["services"];
        var postgres = services["postgres"];
        var example = File.ReadAllLines(Path.Combine(Deploy, "compose", "whistle.env.example"));
        var exampleValues = example.Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#')).Select(l => l.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
        var whistleServices = baseServices.Children.Where(kv => Scalar(kv.Value, "environment", "Whistle__Database__Provider") is not null).Select(kv => ((YamlScalarNode)kv.Key).Value!).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(Scalar(over, "name"), Is.EqualTo(Scalar(baseFile, "name")), "the same project: it overrides, not beside");
            Assert.That(services.Children.Keys.Select(k => ((YamlScalarNode)k).Value), Is.All.Matches<string>(n => n == "postgres" || baseServices.Children.ContainsKey(new YamlScalarNode(n))), "it changes the base's services and adds postgres");
            Assert.That(services["sqlserver"]["profiles"] is YamlSequenceNode { Children.Count: > 0 }, "SQL Server is in a profile of its own: it does not start");

            Assert.That(Scalar(postgres, "image"), Is.EqualTo("postgres:15"), "the version tested");
            var volume = ((YamlScalarNode)((YamlSequenceNode)postgres["volumes"]).Children.Single()).Value!.Split(':');
            Assert.That(volume[1], Is.EqualTo("/var/lib/postgresql/data"), "the image's data folder, on a volume");
            Assert.That(((YamlMappingNode)over["volumes"]).Children.Keys.Select(k => ((YamlScalarNode)k).Value), Does.Contain(volume[0]));
            var health = string.Join(' ', ((YamlSequenceNode)postgres["healthcheck"]["test"]).Children.Select(c => ((YamlScalarNode)c).Value));
            Assert.That(health, Does.Contain("pg_isready"));
            foreach (Match variable in Regex.Matches(health, "\\$\\$(\\w+)"))
            {
                Assert.That(Scalar(postgres, "environment", variable.Groups[1].Value), Is.Not.Null, $"the healthcheck's ${variable.Groups[1].Value} is set");
            }

            // The secrets: POSTGRES_PASSWORD from the env file, not from the committed compose file.
            Assert.That(Scalar(postgres, "env_file"), Is.EqualTo("whistle.env"));
            Assert.That(Scalar(postgres, "environment", "POSTGRES_PASSWORD"), Is.Null, "no password in a committed file");
            Assert.That(exampleValues, Does.ContainKey("POSTGRES_PASSWORD").WithValue("CHANGE-ME"), "whistle.env.example names the password");

            // Every Whistle process of the base (migrate, Api, Dispatcher) on PostgreSQL; the migration waits for it.
            Assert.That(whistleServices, Is.SupersetOf(new[] { "migrate", "api-1", "api-2", "dispatcher" }));
            foreach (var name in whistleServices)
            {
                Assert.That(Scalar(services, name, "environment", "Whistle__Database__Provider"), Is.EqualTo("PostgreSql"), $"{name} on PostgreSQL");
            }

            var dependsOn = (YamlMappingNode)services["migrate"]["depends_on"];
            Assert.That(dependsOn.Tag.IsEmpty ? "(no tag)" : dependsOn.Tag.Value, Is.EqualTo("!override"), "replaces the base's dependency on SQL Server (a merge would keep it)");
            Assert.That(dependsOn.Children.Keys.Select(k => ((YamlScalarNode)k).Value), Is.EqualTo(new[] { "postgres" }));
            Assert.That(Scalar(dependsOn, "postgres", "condition"), Is.EqualTo("service_healthy"));
        });

        // The connection string the example gives for it reaches that service, database and user, with the env file's password.
        var line = example.Select(l => l.TrimStart('#', ' ')).Single(l => l.StartsWith("Whistle__Database__ConnectionString=Host=", StringComparison.Ordinal));
        var connection = new Npgsql.NpgsqlConnectionStringBuilder(line.Split('=', 2)[1]);
        Assert.Multiple(() =>
        {
            Assert.That(connection.Host, Is.EqualTo("postgres"));
            Assert.That(connection.Port, Is.EqualTo(5432));
            Assert.That(connection.Database, Is.EqualTo(Scalar(postgres, "environment", "POSTGRES_DB")));
            Assert.That(connection.Username, Is.EqualTo(Scalar(postgres, "environment", "POSTGRES_USER")));
            Assert.That(connection.Password, Is.EqualTo("CHANGE-ME"));
        });
    }

    /// <summary>
    /// deploy/k8s/postgres: a kustomize overlay on the base that changes the ConfigMap's provider and nothing else; the
    /// database's address stays in the operator's Secret, under the key the base reads and README's command creates.
    /// </summary>
    [Test]
    public void Should_run_on_PostgreSQL_with_the_Kubernetes_overlay()
    {
        var folder = Path.Combine(Deploy, "k8s", "postgres");
        var overlay = Kustomization(Path.Combine("k8s", "postgres"));
        var baseKustomization = Kustomization("k8s");
        var resources = ((YamlSequenceNode)overlay["resources"]).Children.Select(r => Path.TrimEndingDirectorySeparator(Path.GetFullPath(Path.Combine(folder, ((YamlScalarNode)r).Value!)))).ToList();
        var patches = ((YamlSequenceNode)overlay["patches"]).Children.Select(p => Scalar(p, "path")!).ToList();
        var baseConfigMap = Kubernetes().Single(d => Scalar(d.Doc, "kind") == "ConfigMap").Doc;
        Assert.Multiple(() =>
        {
            Assert.That(Scalar(overlay, "apiVersion"), Is.EqualTo(Scalar(baseKustomization, "apiVersion")));
            Assert.That(resources, Is.EqualTo(new[] { Path.GetFullPath(Path.Combine(Deploy, "k8s")) }), "builds on the base");
            Assert.That(Path.Combine(resources[0], "kustomization.yaml"), Does.Exist);
            Assert.That(Directory.EnumerateFiles(folder).Select(Path.GetFileName).Where(f => f != "kustomization.yaml"), Is.EquivalentTo(patches), "every file in the overlay is one of its patches");
        });

        var patched = new List<string>();
        foreach (var path in patches)
        {
            var patch = (YamlMappingNode)Documents().Single(d => Path.GetFullPath(Path.Combine(Root, d.File)) == Path.Combine(folder, path)).Root;
            var kind = Scalar(patch, "kind");
            var target = Kubernetes().SingleOrDefault(d => Scalar(d.Doc, "kind") == kind && Scalar(d.Doc, "metadata", "name") == Scalar(patch, "metadata", "name") && Scalar(d.Doc, "metadata", "namespace") == Scalar(patch, "metadata", "namespace"));
            Assert.That(target.Doc, Is.Not.Null, $"{path}: patches a {kind} of the base");
            Assert.That(kind, Is.Not.EqualTo("Secret"), "the Secret is the operator's");
            patched.Add($"{kind}/{Scalar(patch, "metadata", "name")}");
            if (kind == "ConfigMap")
            {
                // A strategic merge of a ConfigMap's data is a merge of its keys: the result is the base with these changed.
                var data = ((YamlMappingNode)baseConfigMap["data"]).Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value);
                var changes = ((YamlMappingNode)patch["data"]).Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value);
                foreach (var (key, value) in changes)
                {
                    data[key] = value;
                }

                Assert.That(changes.Keys, Is.EqualTo(new[] { "Whistle__Database__Provider" }), "only the provider changes");
                Assert.That(data["Whistle__Database__Provider"], Is.EqualTo("PostgreSql"));
                Assert.That(data["Whistle__Database__Migrate"], Is.EqualTo("false"), "the Job still migrates, the instances never");
            }
        }

        Assert.That(patched, Is.EqualTo(new[] { "ConfigMap/whistle-config" }));

        // Where the database is: the Secret's connection string, whose key every container reads and README's command creates.
        var keys = Pairs(new YamlSequenceNode(Kubernetes().Select(d => (YamlNode)d.Doc))).Where(p => p.Key == "secretKeyRef").Select(p => Scalar(p.Value, "key")!).Distinct().ToList();
        var readme = File.ReadAllText(Path.Combine(Deploy, "README.md"));
        Assert.That(keys, Does.Contain("database-connection-string"));
        Assert.That(keys, Is.All.Matches<string>(k => readme.Contains($"--from-literal={k}=", StringComparison.Ordinal)), "deploy/README.md's kubectl command creates every key the manifests read");
        Assert.That(readme, Does.Contain("kubectl apply -k deploy/k8s/postgres"));
    }

    /// <summary>Every probe and scrape path named in deploy/ answers 200 on a real Api and a real Dispatcher.</summary>
    [Test]
    public async Task Should_name_probe_paths_that_answer_on_the_Api_and_the_Dispatcher()
    {
        var paths = Pairs(new YamlSequenceNode(Kubernetes().Select(d => (YamlNode)d.Doc)))
            .Where(p => p.Key is "path" or "prometheus.io/path" && p.Value is YamlScalarNode s && s.Value!.StartsWith("/", StringComparison.Ordinal) && s.Value != "/")
            .Select(p => ((YamlScalarNode)p.Value).Value!)
            .Concat(Directory.EnumerateFiles(Path.Combine(Deploy, "docker"), "*.Dockerfile").SelectMany(f => Regex.Matches(File.ReadAllText(f), "http://localhost:\\d+(/[\\w/]+)").Select(m => m.Groups[1].Value)))
            .Distinct()
            .ToList();
        Assert.That(paths, Is.EquivalentTo(new[] { "/health/live", "/health/ready", "/metrics" }));

        await using var system = await WhistleSystem.EmbeddedAsync();
        var settings = TestSettings.Embedded(system.DataFolder);
        settings["Whistle:Bus:Transport"] = "InMemory";
        settings["Whistle:Dispatcher:HealthUrls"] = "http://127.0.0.1:0";
        await using var dispatcher = await DispatcherHost.StartAsync(settings);
        using var http = new HttpClient();
        Assert.Multiple(async () =>
        {
            foreach (var path in paths)
            {
                Assert.That((await http.GetAsync(new Uri(system.Api, path))).StatusCode, Is.EqualTo(HttpStatusCode.OK), $"Api {path}");
                Assert.That((await http.GetAsync(new Uri(dispatcher.BaseAddress!, path))).StatusCode, Is.EqualTo(HttpStatusCode.OK), $"Dispatcher {path}");
            }
        });
    }

    [GeneratedRegex("\\$\\{[A-Z_]+:-([^}]+)\\}")]
    private static partial Regex VersionVariable();

    [GeneratedRegex("(?:ENV\\s+|\\s)([A-Za-z_][A-Za-z0-9_]*)=")]
    private static partial Regex EnvAssignment();
}

internal static class Functional
{
    public static TResult Let<T, TResult>(this T value, Func<T, TResult> map) => map(value);
}
