using System.Collections.Concurrent;

namespace Ripcord.Server.Streaming;

/// <summary>What the server knows of one SDK instance: who, which program, which revision it applied.</summary>
public sealed record ClientView(string Instance, string Program, string TokenName, string? Sdk, bool Connected,
    long? AppliedRevision, string? State, DateTimeOffset ConnectedAt, DateTimeOffset LastSeen)
{
    /// <summary>The id of the key the instance is bound to: the first that reported it; null while only a stream has named it.</summary>
    public string? TokenId { get; init; }
}

/// <summary>Whether a key may report as an instance.</summary>
public enum InstanceClaim
{
    Accepted,
    /// <summary>Another key registered the instance first.</summary>
    BoundToAnotherKey,
    /// <summary>The key already has as many instances as it may.</summary>
    TooManyInstances,
}

/// <summary>
/// The SDK instances that streamed or reported recently, with the revision each last applied
/// (from its stream position and revision heartbeats). Kill-switch verification reads this, so an
/// instance is bound to the key that first reported it (another key cannot speak for it) and a
/// key may hold only so many instances (it cannot flood the registry with invented ones).
/// </summary>
public sealed class ClientRegistry(TimeProvider clock, ServerOptions options)
{
    private static readonly TimeSpan ForgetAfter = TimeSpan.FromMinutes(10);
    private readonly ConcurrentDictionary<string, ClientView> _clients = new(StringComparer.Ordinal);
    // Writers take this lock so a binding and the per-key count change together; readers never take it.
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _perKey = new(StringComparer.Ordinal);

    /// <summary>An instance of the program connected, disconnected or reported a revision (kill-switch verification listens).</summary>
    public event Action<string>? Changed;

    /// <summary>An instance of a program reported a revision applied: (program, instance, revision).</summary>
    public event Action<string, string, long>? RevisionApplied;

    /// <summary>
    /// A stream opened as <paramref name="instance"/>, holding <paramref name="revision"/> (its Last-Event-ID, already
    /// bounded by the head). Binds the instance to the key as a heartbeat does; refused (nothing recorded) when another
    /// key holds the instance or this key holds as many as it may.
    /// </summary>
    public InstanceClaim Connected(string instance, string program, string tokenId, string tokenName, string? sdk, long? revision)
    {
        var now = clock.GetUtcNow();
        var claim = Claim(instance, tokenId, c => c is null
            ? new ClientView(instance, program, tokenName, sdk, true, revision, null, now, now) { TokenId = tokenId }
            : c with { TokenId = tokenId, Program = program, TokenName = tokenName, Sdk = sdk ?? c.Sdk, Connected = true, ConnectedAt = now, LastSeen = now, AppliedRevision = revision ?? c.AppliedRevision });
        if (claim == InstanceClaim.Accepted)
        {
            Changed?.Invoke(program);
        }
        return claim;
    }

    public void Disconnected(string instance)
    {
        string? program = null;
        lock (_gate)
        {
            if (_clients.TryGetValue(instance, out var c))
            {
                _clients[instance] = c with { Connected = false, LastSeen = clock.GetUtcNow() };
                program = c.Program;
            }
        }
        if (program is not null)
        {
            Changed?.Invoke(program);
        }
    }

    /// <summary>Whether <paramref name="tokenId"/> may send telemetry as <paramref name="instance"/>: not if another key registered it.</summary>
    public InstanceClaim Check(string instance, string tokenId) =>
        _clients.TryGetValue(instance, out var c) && c.TokenId is { } bound && !string.Equals(bound, tokenId, StringComparison.Ordinal)
            ? InstanceClaim.BoundToAnotherKey
            : InstanceClaim.Accepted;

    /// <summary>
    /// A revision heartbeat: the instance has applied <paramref name="revision"/>. The first key to
    /// report an instance binds it; nothing is recorded when the claim is refused.
    /// </summary>
    public InstanceClaim Applied(string instance, string program, string tokenId, string tokenName, long revision, string? state)
    {
        var now = clock.GetUtcNow();
        var claim = Claim(instance, tokenId, c => c is null
            ? new ClientView(instance, program, tokenName, null, false, revision, state, now, now) { TokenId = tokenId }
            : c with { TokenId = tokenId, AppliedRevision = Math.Max(revision, c.AppliedRevision ?? 0), State = state ?? c.State, LastSeen = now });
        if (claim != InstanceClaim.Accepted)
        {
            return claim;
        }
        RevisionApplied?.Invoke(program, instance, revision);
        Changed?.Invoke(program);
        return InstanceClaim.Accepted;
    }

    /// <summary>
    /// The one place an instance is bound: refused when another key holds it, or when this key already holds its
    /// cap of instances; otherwise <paramref name="update"/> (given the instance as known, or null) is recorded.
    /// </summary>
    private InstanceClaim Claim(string instance, string tokenId, Func<ClientView?, ClientView> update)
    {
        lock (_gate)
        {
            var known = _clients.TryGetValue(instance, out var c);
            if (known && c!.TokenId is { } bound && !string.Equals(bound, tokenId, StringComparison.Ordinal))
            {
                return InstanceClaim.BoundToAnotherKey;
            }
            if (!known || c!.TokenId is null)
            {
                var held = _perKey.GetValueOrDefault(tokenId);
                if (held >= options.Telemetry.MaxInstancesPerKey)
                {
                    return InstanceClaim.TooManyInstances;
                }
                _perKey[tokenId] = held + 1;
            }
            _clients[instance] = update(known ? c : null);
            return InstanceClaim.Accepted;
        }
    }

    /// <summary>One instance as last seen, whatever its program (verification looks up the instances it waits for).</summary>
    public bool TryGet(string instance, out ClientView view) => _clients.TryGetValue(instance, out view!);

    public IReadOnlyList<ClientView> For(string program)
    {
        var cutoff = clock.GetUtcNow() - ForgetAfter;
        if (_clients.Values.Any(c => !c.Connected && c.LastSeen < cutoff))
        {
            lock (_gate)
            {
                foreach (var stale in _clients.Values.Where(c => !c.Connected && c.LastSeen < cutoff))
                {
                    if (_clients.TryRemove(stale.Instance, out var removed) && removed.TokenId is { } key && _perKey.TryGetValue(key, out var held))
                    {
                        if (held <= 1)
                        {
                            _perKey.Remove(key);
                        }
                        else
                        {
                            _perKey[key] = held - 1;
                        }
                    }
                }
            }
        }
        return [.. _clients.Values.Where(c => c.Program == program).OrderBy(c => c.Instance, StringComparer.Ordinal)];
    }
}
