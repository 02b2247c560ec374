using System.Text.Json.Nodes;

namespace Whistle.Tests.Support;

/// <summary>What a client catching up sees of one duty (assignment): its events, and its escalation chain (催办 → 督办).</summary>
public static class DutySteps
{
    /// <summary>Every event of the duty the viewer may see, read by a catch-up from the start, page by page.</summary>
    public static async Task<IReadOnlyList<JsonNode>> ReadAsync(WhistleSystem system, WhistleClient viewer, string assignmentId)
    {
        await using var push = await system.ConnectAsync(viewer);
        var all = new List<JsonNode>();
        long after = 0;
        while (true)
        {
            var page = await push.CatchUpAsync(after);
            all.AddRange(page);
            if (page.Count < 500) break;
            after = page[^1].Seq();
        }

        return all.Where(e => (string?)e["assignmentId"] == assignmentId).ToList();
    }

    /// <summary>The chain's steps among the events, in order, as <c>type:phase:level</c>.</summary>
    public static IEnumerable<string> Chain(IEnumerable<JsonNode> events) =>
        events.Where(e => e.Str("type") is "AssignmentReminded" or "AssignmentEscalated")
            .Select(e => $"{e.Str("type")}:{e["step"]!.Str("phase")}:{e["step"]!["level"]!.GetValue<int>()}");
}
