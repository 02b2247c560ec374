using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Whistle.Tests.Support;

/// <summary>An HTTP client of the public API, signed in as one user.</summary>
public sealed class WhistleClient : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private WhistleClient(HttpClient http, string userName, string token, JsonNode user)
    {
        Http = http;
        UserName = userName;
        Token = token;
        User = user;
    }

    public HttpClient Http { get; }

    public string UserName { get; }

    public string Token { get; }

    public JsonNode User { get; }

    public string OrgId => User["orgId"]!.GetValue<string>();

    public static async Task<WhistleClient> SignInAsync(Uri baseAddress, string userName, string password = "demo")
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var response = await http.PostAsJsonAsync("/api/auth/token", new { userName, password });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"sign-in as {userName}: {await response.Content.ReadAsStringAsync()}");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var token = body["accessToken"]!.GetValue<string>();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new WhistleClient(http, userName, token, body["user"]!);
    }

    public static object Raise(string title = "工地夜间违规施工", string matter = "illegal-construction", string urgency = "emergency", string[]? extra = null) => new
    {
        matterCode = matter,
        title,
        description = "居民反映夜间施工噪声扰民，现场有违建迹象。",
        address = "人民路18号",
        urgency,
        extraAgencyCodes = extra ?? [],
    };

    public async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, object? body = null, IDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Json);
        }

        foreach (var (k, v) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(k, v);
        }

        var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) == true;
        return (response.StatusCode, string.IsNullOrEmpty(text) || !json ? null : JsonNode.Parse(text), response);
    }

    public Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> PostAsync(string path, object? body = null, IDictionary<string, string>? headers = null) =>
        SendAsync(HttpMethod.Post, path, body ?? new { }, headers);

    public Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    /// <summary>Raises a whistle and asserts 201.</summary>
    public async Task<JsonNode> RaiseAsync(object? request = null, IDictionary<string, string>? headers = null)
    {
        var (status, body, _) = await PostAsync("/api/whistles", request ?? Raise(), headers);
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
        return body!;
    }

    /// <summary>Raises a department's work request on an item of one of its relations' lists and asserts 201.</summary>
    public async Task<JsonNode> RaiseWorkRequestAsync(string institutionId, string workItemCode, string title)
    {
        var (status, body, _) = await PostAsync("/api/work-requests", new { institutionId, workItemCode, title });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
        return body!;
    }

    /// <summary>Reads a whistle until a condition holds (the dispatcher works asynchronously).</summary>
    public async Task<JsonNode> WaitForWhistleAsync(string id, Func<JsonNode, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var (status, body, _) = await GetAsync($"/api/whistles/{id}");
            if (status == HttpStatusCode.OK && condition(body!))
            {
                return body!;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Whistle {id} did not reach the expected state: {body?.ToJsonString()}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Uploads files as multipart/form-data to <c>POST /api/attachments</c> (optionally for a whistle).</summary>
    public Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> UploadAsync(string? whistleId, params (string Name, byte[] Content, string ContentType)[] files) =>
        UploadToAsync(whistleId is null ? "/api/attachments" : $"/api/attachments?whistleId={Uri.EscapeDataString(whistleId)}", files);

    /// <summary>Uploads files for a meeting's minutes (<c>POST /api/attachments?meetingId=</c>); asserts 201; the ids of the stored files.</summary>
    public async Task<string[]> UploadForMeetingOkAsync(string meetingId, params (string Name, byte[] Content, string ContentType)[] files)
    {
        var (status, body, _) = await UploadToAsync($"/api/attachments?meetingId={Uri.EscapeDataString(meetingId)}", files);
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
        return body!["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()).ToArray();
    }

    /// <summary>Posts files as multipart/form-data (part name <c>files</c>) to <paramref name="path"/>.</summary>
    public async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> UploadToAsync(string path, params (string Name, byte[] Content, string ContentType)[] files)
    {
        using var form = new MultipartFormDataContent();
        foreach (var (name, content, type) in files)
        {
            var part = new ByteArrayContent(content);
            part.Headers.ContentType = MediaTypeHeaderValue.Parse(type);
            form.Add(part, "files", name);
        }

        var response = await Http.PostAsync(path, form);
        var text = await response.Content.ReadAsStringAsync();
        var json = response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) == true;
        return (response.StatusCode, string.IsNullOrEmpty(text) || !json ? null : JsonNode.Parse(text), response);
    }

    /// <summary>Uploads and asserts 201; the ids of the stored files.</summary>
    public async Task<string[]> UploadOkAsync(string? whistleId, params (string Name, byte[] Content, string ContentType)[] files)
    {
        var (status, body, _) = await UploadAsync(whistleId, files);
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
        return body!["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()).ToArray();
    }

    public void Dispose() => Http.Dispose();
}
