using System.Collections.Concurrent;

namespace Ripcord.Server.Streaming;

/// <summary>What the server knows of one SDK instance: who, which program, which revision it applied.</summary>
public sealed record ClientView(string Instance, string Program, string TokenName, string? Sdk, bool Connected,
    long? AppliedRevision, string? State, DateTimeOffset ConnectedAt, DateTimeOffset LastSeen);

/// <summary>
/// The SDK instances that streamed or reported recently, with the revision each last applied
/// (from its stream position and revision heartbeats). Kill-switch verification reads this.
/// </summary>
public sealed class ClientRegistry(TimeProvider clock)
{
    private static readonly TimeSpan ForgetAfter = TimeSpan.FromMinutes(10);
    private readonly ConcurrentDictionary<string, ClientView> _clients = new(StringComparer.Ordinal);

    /// <summary>An instance of the program connected, disconnected or reported a revision (kill-switch verification listens).</summary>
    public event Action<string>? Changed;

    /// <summary>An instance of a program reported a revision applied: (program, instance, revision).</summary>
    public event Action<string, string, long>? RevisionApplied;

    public void Connected(string instance, string program, string tokenName, string? sdk, long? revision)
    {
        var now = clock.GetUtcNow();
        _clients.AddOrUpdate(instance,
            _ => new ClientView(instance, program, tokenName, sdk, true, revision, null, now, now),
            (_, c) => c with { Program = program, TokenName = tokenName, Sdk = sdk ?? c.Sdk, Connected = true, ConnectedAt = now, LastSeen = now, AppliedRevision = revision ?? c.AppliedRevision });
        Changed?.Invoke(program);
    }

    public void Disconnected(string instance)
    {
        if (_clients.TryGetValue(instance, out var c))
        {
            _clients[instance] = c with { Connected = false, LastSeen = clock.GetUtcNow() };
            Changed?.Invoke(c.Program);
        }
    }

    /// <summary>A revision heartbeat: the instance has applied <paramref name="revision"/>.</summary>
    public void Applied(string instance, string program, string tokenName, long revision, string? state)
    {
        var now = clock.GetUtcNow();
        _clients.AddOrUpdate(instance,
            _ => new ClientView(instance, program, tokenName, null, false, revision, state, now, now),
            (_, c) => c with { AppliedRevision = Math.Max(revision, c.AppliedRevision ?? 0), State = state ?? c.State, LastSeen = now });
        RevisionApplied?.Invoke(program, instance, revision);
        Changed?.Invoke(program);
    }

    /// <summary>One instance as last seen, whatever its program (verification looks up the instances it waits for).</summary>
    public bool TryGet(string instance, out ClientView view) => _clients.TryGetValue(instance, out view!);

    public IReadOnlyList<ClientView> For(string program)
    {
        var cutoff = clock.GetUtcNow() - ForgetAfter;
        foreach (var stale in _clients.Values.Where(c => !c.Connected && c.LastSeen < cutoff))
        {
            _clients.TryRemove(stale.Instance, out _);
        }
        return [.. _clients.Values.Where(c => c.Program == program).OrderBy(c => c.Instance, StringComparer.Ordinal)];
    }
}
