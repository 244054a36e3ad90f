using System.Net;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Ripcord.Core;
using Ripcord.Core.Changes;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Sync;
using Ripcord.Server.Streaming;

namespace Ripcord.Sdk.Tests;

/// <summary>
/// The revision stream's format: the server frames each revision once for every connection, and
/// the SDK reads it as the event-stream format defines it, not only as today's server writes it.
/// </summary>
public sealed class StreamFormatTests
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
        // Cut between two members near the middle: data lines are joined with a line break, which
        // JSON allows between tokens but not inside a string (the state holds long template texts).
        var split = json.IndexOf(",\"", json.Length / 2, StringComparison.Ordinal) + 1;
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

    [Fact]
    public async Task A_revision_is_framed_once_and_every_connection_gets_the_same_frame()
    {
        await using var server = await SdkTestServer.StartAsync();
        var head = await server.OverrideAsync("F1", "workspace:w1", true);
        var hub = server.Services.GetRequiredService<StreamHub>();
        var (first, _, _) = hub.Subscribe("groups", head);
        var (second, _, _) = hub.Subscribe("groups", head);

        var revision = await server.OverrideAsync("F1", "workspace:w2", true);
        var frame = await first.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Same(frame, await second.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));

        var items = SseParser.Create(new MemoryStream(frame), (type, data) => JsonSerializer.Deserialize<StateDelta>(data, CoreJson.Options)).Enumerate().ToList();
        var item = Assert.Single(items);
        Assert.Equal(("delta", revision.ToString(System.Globalization.CultureInfo.InvariantCulture)), (item.EventType, item.EventId));
        Assert.Equal((head, revision), (item.Data!.FromRevision, item.Data.ToRevision));
        hub.Unsubscribe("groups", first);
        hub.Unsubscribe("groups", second);
    }
}
