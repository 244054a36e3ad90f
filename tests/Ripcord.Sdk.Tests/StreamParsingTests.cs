using System.Net;
using System.Text;
using System.Text.Json;
using Ripcord.Core;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Sync;

namespace Ripcord.Sdk.Tests;

/// <summary>The SDK reads the revision stream as the event-stream format defines it, not only as today's server writes it.</summary>
public sealed class StreamParsingTests
{
    /// <summary>Answers the first stream request with a fixed body, every later one with 503.</summary>
    private sealed class OneStream(string body) : HttpMessageHandler
    {
        private int _requests;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var first = request.RequestUri!.AbsolutePath.EndsWith("/stream", StringComparison.Ordinal) && Interlocked.Increment(ref _requests) == 1;
            return Task.FromResult(first
                ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "text/event-stream") }
                : new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        }
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public async Task Comments_unknown_events_and_data_split_over_lines_are_read_as_the_format_defines(string newline)
    {
        var groups = BuiltInPrograms.Find("groups")!;
        var (state, _, _) = ProgramChanges.AddOverride(ProgramState.Initial(groups), new OverrideRequest("F1", "global", true, "test", null),
            "ov-1", "test", DateTimeOffset.UtcNow);
        var json = JsonSerializer.Serialize(StateSync.Snapshot(state, 7), CoreJson.Options);
        var split = json.Length / 2;
        string[] lines =
        [
            "retry: 1000", "",
            ": heartbeat", "",
            "event: heartbeat", "data: ", "",          // an event type the SDK does not know
            "event: snapshot", "id: 6", "",            // no data: never dispatched
            "event: snapshot", "data: " + json[..split], "data:" + json[split..], "id: 7", "", // one line of JSON cut in two
        ];
        using var handler = new OneStream(string.Join(newline, lines) + newline);
        await using var client = new RipcordClient(new RipcordClientOptions
        {
            ServerUrl = new Uri("http://127.0.0.1:9/"), SdkKey = "rc_sdk_unused_key_000000000000", CacheDirectory = null, HttpHandler = handler,
            ReconnectMinDelay = TimeSpan.FromSeconds(5),
        });

        Assert.True(await client.WaitUntilLiveAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(7, client.Revision);
        Assert.Equal("override@global", client.Evaluate("F1", EvaluationContext.Empty).Source);
    }
}
