using System.Collections.Concurrent;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Incidents;
using Ripcord.Server.Incidents;
using Ripcord.Server.Programs;
using Ripcord.Server.Streaming;
using Ripcord.Server.Telemetry;

namespace Ripcord.Server.KillSwitches;

/// <summary>
/// Watches each new activation until its deadline (seed §12): which connected SDK instances have
/// applied its revision (heartbeats, through <see cref="ClientRegistry"/>), and whether a disabled
/// operation is still made in its scope under a revision that contains it (telemetry). The decision
/// is <see cref="KillSwitchVerification"/>'s; it is stored (and put on the incident's timeline) by
/// <see cref="VerificationRecorder"/> once, and again should a violation turn a pass into a failure.
/// </summary>
public sealed partial class VerificationTracker : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    private readonly ConcurrentDictionary<string, Tracked> _tracked = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);
    private readonly ClientRegistry _clients;
    private readonly ProgramRegistry _registry;
    private readonly VerificationRecorder _recorder;
    private readonly WorkflowDocs _docs;
    private readonly TimeProvider _clock;
    private readonly ILogger<VerificationTracker> _log;

    public VerificationTracker(ClientRegistry clients, ProgramRegistry registry, VerificationRecorder recorder, WorkflowDocs docs, TimeProvider clock,
        ILogger<VerificationTracker> log)
    {
        _clients = clients;
        _registry = registry;
        _recorder = recorder;
        _docs = docs;
        _clock = clock;
        _log = log;
        // A heartbeat only settles the instance it came from: the full decision is taken once nobody is left
        // to wait for (or on the next tick, for deadlines), not once per heartbeat of a 1,000-instance fleet.
        _clients.RevisionApplied += (program, instance, revision) =>
        {
            foreach (var t in _tracked.Values)
            {
                if (revision >= t.Record.Revision && string.Equals(program, t.Record.Program, StringComparison.Ordinal) && t.Settle(instance))
                {
                    Wake();
                }
            }
        };
    }

    private sealed class Tracked(KillSwitchRecord record)
    {
        private readonly HashSet<string> _waiting = new(record.InstancesAtActivation, StringComparer.Ordinal);

        /// <summary>The instance reported the revision; true when it was the last one waited for.</summary>
        public bool Settle(string instance)
        {
            lock (_waiting)
            {
                return _waiting.Remove(instance) && _waiting.Count == 0;
            }
        }

        public KillSwitchRecord Record { get; set; } = record;
        public List<Violation> Violations { get; } = [];
        public VerificationStatus Stored { get; set; } = record.Verification?.Status ?? VerificationStatus.Pending;
        public VerificationResult? Latest { get; set; } = record.Verification;
    }

    public void Track(KillSwitchRecord record)
    {
        _tracked[record.Id] = new Tracked(record);
        Wake();
    }

    /// <summary>The live verification of a watched activation; null when it is no longer watched (the stored one is final).</summary>
    public VerificationResult? Current(string activationId) =>
        _tracked.TryGetValue(activationId, out var t) ? Decide(t, _clock.GetUtcNow()) : null;

    /// <summary>Deactivated: stop watching, storing where it stood (a pending verification fails: it never passes silently).</summary>
    public async Task StopAsync(string activationId, CancellationToken ct)
    {
        if (_tracked.TryRemove(activationId, out var t))
        {
            var result = Decide(t, DateTimeOffset.MaxValue);
            if (result.Status != t.Stored)
            {
                await _recorder.RecordAsync(t.Record, result, ct);
            }
        }
    }

    /// <summary>
    /// Operations reported under <see cref="FromRevision"/> or later whose flag is now off for their context
    /// (<see cref="Ripcord.Core.Rollback.StoppedOperations"/>): what a rollback's verification watches while it waits for the SDKs.
    /// </summary>
    public sealed class OperationWatch(string program, long fromRevision)
    {
        private readonly List<Violation> _violations = [];

        public string Program { get; } = program;
        public long FromRevision { get; } = fromRevision;

        public IReadOnlyList<Violation> Violations
        {
            get
            {
                lock (_violations)
                {
                    return [.. _violations];
                }
            }
        }

        internal void Add(Violation violation)
        {
            lock (_violations)
            {
                if (_violations.Count < 100)
                {
                    _violations.Add(violation);
                }
            }
        }
    }

    private readonly ConcurrentDictionary<OperationWatch, byte> _watches = new();

    /// <summary>Starts watching a program's operation telemetry from a revision on; <see cref="Unwatch"/> ends it.</summary>
    public OperationWatch Watch(string program, long fromRevision)
    {
        var watch = new OperationWatch(program, fromRevision);
        _watches[watch] = 0;
        return watch;
    }

    public void Unwatch(OperationWatch watch) => _watches.TryRemove(watch, out _);

    /// <summary>Telemetry just stored: an operation event in a watched activation's scope, made under its revision or later, is a violation.</summary>
    public void Observe(string program, string instance, IReadOnlyList<ValidatedEvent> events)
    {
        if (!_watches.IsEmpty)
        {
            ObserveWatches(program, instance, events);
        }
        if (_tracked.IsEmpty || !_registry.TryGet(program, out var compiled))
        {
            return;
        }
        foreach (var t in _tracked.Values)
        {
            var r = t.Record;
            if (!string.Equals(r.Program, program, StringComparison.Ordinal) || r.Operations.IsDefaultOrEmpty)
            {
                continue;
            }
            var scope = Scope.Parse(r.Scope);
            foreach (var e in events)
            {
                if (e.Revision is not { } made || made < r.Revision)
                {
                    continue;
                }
                var op = r.Operations.FirstOrDefault(o => string.Equals(o.EventType, e.Type, StringComparison.Ordinal));
                if (op is null || !compiled.Contains(scope, new EvaluationContext(e.WorkspaceId)))
                {
                    continue;
                }
                lock (t.Violations)
                {
                    if (t.Violations.Count < 100)
                    {
                        t.Violations.Add(new Violation(instance, op.Operation, e.Type, made, e.At, e.WorkspaceId));
                    }
                }
                Wake();
            }
        }
    }

    private void ObserveWatches(string program, string instance, IReadOnlyList<ValidatedEvent> events)
    {
        if (!_registry.TryGet(program, out var compiled))
        {
            return;
        }
        var now = _clock.GetUtcNow();
        foreach (var watch in _watches.Keys)
        {
            if (!string.Equals(watch.Program, program, StringComparison.Ordinal))
            {
                continue;
            }
            foreach (var e in events)
            {
                if (Ripcord.Core.Rollback.StoppedOperations.Violated(compiled, watch.FromRevision, e.Type, e.Revision, e.WorkspaceId, e.Facts?.Tier, now)
                    is { } operation)
                {
                    watch.Add(new Violation(instance, operation, e.Type, e.Revision!.Value, e.At, e.WorkspaceId));
                }
            }
        }
    }

    private void Wake()
    {
        if (_signal.CurrentCount == 0)
        {
            _signal.Release();
        }
    }

    private VerificationResult Decide(Tracked t, DateTimeOffset now)
    {
        // Only the instances it waits for, looked up one by one: no scan or sort of the whole registry per sweep.
        var reports = new Dictionary<string, InstanceReport>(t.Record.InstancesAtActivation.Length, StringComparer.Ordinal);
        foreach (var instance in t.Record.InstancesAtActivation)
        {
            if (_clients.TryGet(instance, out var c) && string.Equals(c.Program, t.Record.Program, StringComparison.Ordinal))
            {
                reports[instance] = new InstanceReport(instance, c.AppliedRevision, c.Connected);
            }
        }
        List<Violation> violations;
        lock (t.Violations)
        {
            violations = [.. t.Violations];
        }
        return KillSwitchVerification.Evaluate(t.Record.Revision, t.Record.InstancesAtActivation, reports, violations, t.Record.Deadline,
            now < t.Record.Deadline ? now : t.Record.Deadline);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // Activations whose verification a previous run left pending are watched again until their deadline.
            foreach (var record in await _docs.ListAsync<KillSwitchRecord>(DocKinds.Activation, stoppingToken, status: "active"))
            {
                if (record.Verification is null || record.Verification.Status == VerificationStatus.Pending)
                {
                    _tracked.TryAdd(record.Id, new Tracked(record));
                }
            }
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException)
        {
            LogResumeFailed(ex);
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var delay = Task.Delay(Tick, _clock, tick.Token);
                await Task.WhenAny(_signal.WaitAsync(tick.Token), delay);
                await tick.CancelAsync();
                await SweepAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or Core.Changes.ChangeRejectedException)
            {
                // Storage unavailable (or the incident refused the entry): the decision is kept in memory and stored on a later sweep.
                LogSweepFailed(ex);
            }
        }
    }

    private async Task SweepAsync(CancellationToken ct)
    {
        var now = _clock.GetUtcNow();
        foreach (var (id, t) in _tracked)
        {
            var result = Decide(t, now);
            t.Latest = result;
            if (result.Status != VerificationStatus.Pending && result.Status != t.Stored)
            {
                await _recorder.RecordAsync(t.Record, result, ct);
                t.Stored = result.Status;
            }
            // Past the deadline nothing changes any more (failed stays failed; a pass was checked for violations until now).
            if (now >= t.Record.Deadline && t.Stored != VerificationStatus.Pending)
            {
                _tracked.TryRemove(id, out _);
            }
        }
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "could not resume pending kill-switch verifications")]
    private partial void LogResumeFailed(Exception ex);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "could not store a kill-switch verification; retrying")]
    private partial void LogSweepFailed(Exception ex);
}
