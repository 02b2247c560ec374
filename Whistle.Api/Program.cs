using Whistle.Api.Hosting;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    // The web UI is copied next to the binaries (from Whistle.Web's build), wherever the process starts.
    WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
});
builder.AddWhistleApi();

var app = builder.Build();
if (AdminCommands.IsCommand(args))
{
    return await AdminCommands.RunAsync(app, args, Console.In, Console.Out);
}

app.MapWhistleApi();
await app.RunAsync();
return 0;

/// <summary>The entry point, visible to the tests.</summary>
public partial class Program;
