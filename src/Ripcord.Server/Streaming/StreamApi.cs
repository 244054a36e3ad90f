using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Ripcord.Server.Auth;
using Ripcord.Server.Http;
using Ripcord.Server.Programs;

namespace Ripcord.Server.Streaming;

/// <summary>
/// One page of a program's SDK instances, in instance-id order. <c>total</c>, <c>connected</c> and <c>atHead</c>
/// count every instance, not only this page; <c>next</c> is the cursor for the next page (pass it as <c>after</c>),
/// null on the last.
/// </summary>
public sealed record ClientsView(string Program, long HeadRevision, int Connected, int AtHead, IReadOnlyList<ClientView> Clients)
{
    public int Total { get; init; }
    public string? Next { get; init; }
    /// <summary>Streams this node cut off since it started because their client stopped reading (they resume when it reads again).</summary>
    public long SlowDisconnects { get; init; }
}

/// <summary>
/// GET …/stream: server-sent events carrying revisions (snapshot or delta), resumable with
/// Last-Event-ID; GET …/clients: the SDK instances and the revision each has applied.
/// </summary>
public static class StreamApi
{
    // Revision frames come framed by SseFormatter (StreamHub); these two it cannot write: it has no
    // comment, and every item it writes carries a data line, which EventSource would dispatch as a
    // message. A comment is invisible to every consumer, and a lone retry field only sets the delay.
    private static readonly byte[] HeartbeatFrame = ": heartbeat\n\n"u8.ToArray();
    private static readonly byte[] RetryFrame = "retry: 1000\n\n"u8.ToArray();

    public const int DefaultClientsPage = 500;
    public const int MaxClientsPage = 5000;

    public static RouteGroupBuilder MapStreaming(this RouteGroupBuilder api)
    {
        api.MapGet("/programs/{program}/stream", StreamAsync)
            .WithTags("SDK").WithName("StreamRevisions")
            .WithSummary("Server-sent events: each revision as a snapshot or a delta, resumable with Last-Event-ID")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.SdkRead));

        api.MapGet("/programs/{program}/clients", Results<Ok<ClientsView>, ProblemHttpResult> (string program, int? limit, string? after,
                ProgramRegistry registry, ClientRegistry clients, StreamHub hub) =>
            {
                var head = registry.Current(program).Revision;
                if (limit is < 1 or > MaxClientsPage)
                {
                    return Problems.BadRequest($"limit is 1 to {MaxClientsPage}", "limit");
                }
                var list = clients.For(program);
                var start = 0;
                if (!string.IsNullOrEmpty(after))
                {
                    // The list is in ordinal instance order: the page starts after the cursor, even if that instance is gone.
                    start = list.Count;
                    for (var i = 0; i < list.Count; i++)
                    {
                        if (string.CompareOrdinal(list[i].Instance, after) > 0)
                        {
                            start = i;
                            break;
                        }
                    }
                }
                var page = list.Skip(start).Take(limit ?? DefaultClientsPage).ToList();
                var next = start + page.Count < list.Count ? page[^1].Instance : null;
                return TypedResults.Ok(new ClientsView(program, head, list.Count(c => c.Connected), list.Count(c => c.AppliedRevision >= head), page)
                {
                    Total = list.Count,
                    Next = next,
                    SlowDisconnects = hub.SlowDisconnects,
                });
            })
            .WithTags("SDK").Read("ListClients", "The SDK instances seen recently and the revision each has applied, a page at a time (limit, after)")
            .RequireAuthorization(RoleMatrix.PolicyName(Permission.ClientsRead));
        return api;
    }

    private static async Task<Results<EmptyHttpResult, ProblemHttpResult>> StreamAsync(
        string program, HttpContext context, StreamHub hub, ClientRegistry clients, ProgramRegistry registry, IHostApplicationLifetime lifetime,
        ServerOptions options)
    {
        registry.Current(program);
        var request = context.Request;
        long? last = null;
        var lastText = request.Headers["Last-Event-ID"].ToString();
        if (string.IsNullOrEmpty(lastText))
        {
            lastText = request.Query["lastEventId"].ToString();
        }
        if (lastText.Length > 0)
        {
            if (!long.TryParse(lastText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                return Problems.BadRequest("Last-Event-ID must be a revision number", "Last-Event-ID");
            }
            last = parsed;
        }
        var instance = request.Headers["X-Ripcord-Instance"].ToString();
        if (instance.Length is 0 or > 64)
        {
            instance = "anon-" + context.Connection.Id;
        }
        var sdk = request.Headers["X-Ripcord-Sdk"].ToString() is { Length: > 0 and <= 64 } s ? s : null;

        if (last > registry.Current(program).Revision)
        {
            // A revision this program has not reached (another server's, or made up): the client gets a snapshot, and claims nothing.
            last = null;
        }
        var actor = context.Actor();
        var claim = clients.Connected(instance, program, actor.TokenId, actor.Name, sdk, last);
        if (claim != InstanceClaim.Accepted)
        {
            return claim == InstanceClaim.BoundToAnotherKey
                ? Problems.Result(StatusCodes.Status403Forbidden, "Instance bound to another key",
                    $"instance '{instance}' was registered by another SDK key; each instance streams and reports with the key that registered it")
                : Problems.Result(StatusCodes.Status409Conflict, "Too many instances",
                    "this SDK key already has as many instances as it may; an instance is forgotten 10 minutes after it was last seen");
        }
        var (subscriber, catchUp, _) = hub.Subscribe(program, last);
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var ct = linked.Token;
        if (context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionSocketFeature>()?.Socket is { } socket)
        {
            socket.SendBufferSize = options.StreamSendBufferBytes;
        }
        // StreamWriteTimeout decides when a client that reads nothing is cut off (and counted), not Kestrel's minimum
        // response rate, which would abort the same connection uncounted after its 5 s grace.
        if (context.Features.Get<Microsoft.AspNetCore.Server.Kestrel.Core.Features.IHttpMinResponseDataRateFeature>() is { } rate)
        {
            rate.MinDataRate = null;
        }
        var output = new BoundedWriter(response.Body, options.StreamWriteTimeout, ct);
        try
        {
            await output.WriteAsync(RetryFrame);
            foreach (var frame in catchUp)
            {
                await output.WriteAsync(frame);
            }
            await output.FlushAsync();
            var reader = subscriber.Reader;
            // One heartbeat timer per stream, re-armed after each frame; a new one only after it fired.
            var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    wait.CancelAfter(options.StreamHeartbeat);
                    try
                    {
                        if (!await reader.WaitToReadAsync(wait.Token))
                        {
                            break; // cut off for being too slow (counted by the hub): the client reconnects and catches up
                        }
                        while (reader.TryRead(out var frame))
                        {
                            await output.WriteAsync(frame);
                        }
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested && !output.TimedOut)
                    {
                        await output.WriteAsync(HeartbeatFrame);
                    }
                    if (!wait.TryReset())
                    {
                        wait.Dispose();
                        wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    }
                    await output.FlushAsync();
                }
            }
            finally
            {
                wait.Dispose();
            }
        }
        catch (OperationCanceledException) when (output.TimedOut)
        {
            // The client took nothing for StreamWriteTimeout: drop the connection, and with it what the server buffered for it.
            hub.CountSlowDisconnect();
            context.Abort();
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // Ended some other way (the connection aborted under a write the client was not taking, or the client left):
            // counted as a slow disconnect when a frame was still being written, so every stalled stream is counted once.
            if (output.Writing && !lifetime.ApplicationStopping.IsCancellationRequested)
            {
                hub.CountSlowDisconnect();
            }
        }
        finally
        {
            output.Dispose();
            hub.Unsubscribe(program, subscriber);
            clients.Disconnected(instance);
        }
        return TypedResults.Empty;
    }

    /// <summary>
    /// Writes a stream's frames a slice at a time, each slice given <c>timeout</c> to be taken by the client.
    /// Kestrel holds back a writer once about 64 KB wait for the client, so what one connection pins in
    /// memory stays near that however large a snapshot is; a client that takes nothing for the timeout is cut off.
    /// </summary>
    private sealed class BoundedWriter(Stream body, TimeSpan timeout, CancellationToken stopped) : IDisposable
    {
        private const int Slice = 16 * 1024;
        private CancellationTokenSource _deadline = CancellationTokenSource.CreateLinkedTokenSource(stopped);

        /// <summary>True once a write gave up because the client was not reading.</summary>
        public bool TimedOut { get; private set; }

        /// <summary>True while a frame is only partly taken by the client: a stream that ends now ended on a client not reading.</summary>
        public bool Writing { get; private set; }

        public async Task WriteAsync(ReadOnlyMemory<byte> frame)
        {
            for (var offset = 0; offset < frame.Length; offset += Slice)
            {
                await Guarded(t => body.WriteAsync(frame.Slice(offset, Math.Min(Slice, frame.Length - offset)), t));
            }
        }

        public Task FlushAsync() => Guarded(t => new ValueTask(body.FlushAsync(t)));

        private async Task Guarded(Func<CancellationToken, ValueTask> write)
        {
            _deadline.CancelAfter(timeout);
            Writing = true;
            try
            {
                await write(_deadline.Token);
                Writing = false;
            }
            catch (OperationCanceledException) when (!stopped.IsCancellationRequested)
            {
                TimedOut = true;
                throw;
            }
            if (!_deadline.TryReset())
            {
                _deadline.Dispose();
                _deadline = CancellationTokenSource.CreateLinkedTokenSource(stopped);
            }
        }

        public void Dispose() => _deadline.Dispose();
    }
}
