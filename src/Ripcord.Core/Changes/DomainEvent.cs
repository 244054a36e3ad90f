using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Ripcord.Core.Audit;
using Ripcord.Core.Definitions;
using Ripcord.Core.Evaluation;
using Ripcord.Core.Fallback;

namespace Ripcord.Core.Changes;

/// <summary>
/// What a command did, in the domain's words. Stored with the revision that made it (in the same
/// transaction), so workflows (verification, reviews, timelines) can read what happened.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(DefinitionApplied), "definition-applied")]
[JsonDerivedType(typeof(CohortPut), "cohort-put")]
[JsonDerivedType(typeof(OverrideSet), "override-set")]
[JsonDerivedType(typeof(OverrideRemoved), "override-removed")]
[JsonDerivedType(typeof(StageChanged), "stage-changed")]
[JsonDerivedType(typeof(KillSwitchActivated), "kill-switch-activated")]
[JsonDerivedType(typeof(KillSwitchDeactivated), "kill-switch-deactivated")]
[JsonDerivedType(typeof(RolledBack), "rolled-back")]
[JsonDerivedType(typeof(GrantIssued), "grant-issued")]
[JsonDerivedType(typeof(GrantRevoked), "grant-revoked")]
public abstract record DomainEvent
{
    private static readonly FrozenDictionary<Type, string> Names = typeof(DomainEvent)
        .GetCustomAttributes(typeof(JsonDerivedTypeAttribute), inherit: false).Cast<JsonDerivedTypeAttribute>()
        .ToFrozenDictionary(a => a.DerivedType, a => (string)a.TypeDiscriminator!);

    private protected DomainEvent()
    {
    }

    /// <summary>The event's stable name, as in its JSON <c>type</c> (<c>override-set</c>).</summary>
    [JsonIgnore]
    public string TypeName => Names[GetType()];
}

public sealed record DefinitionApplied(string Program, bool Created, ImmutableArray<string> DroppedOverrides,
    ImmutableArray<string> DroppedKillSwitches, string? StageReset) : DomainEvent;

public sealed record CohortPut(CohortDefinition Cohort, CohortDefinition? Previous) : DomainEvent;

public sealed record OverrideSet(FlagOverride Override, FlagOverride? Replaced) : DomainEvent;

public sealed record OverrideRemoved(FlagOverride Override) : DomainEvent;

public sealed record StageChanged(string From, string To) : DomainEvent;

public sealed record KillSwitchActivated(KillSwitchActivation Activation) : DomainEvent;

public sealed record KillSwitchDeactivated(KillSwitchActivation Activation, string Reason) : DomainEvent;

public sealed record RolledBack(long ToRevision, string Reason, ImmutableArray<string> KeptKillSwitches) : DomainEvent;

/// <summary>A tier-2 override grant issued; <paramref name="Pruned"/> are expired grants dropped from the state with it.</summary>
public sealed record GrantIssued(OverrideGrant Grant, ImmutableArray<string> Pruned) : DomainEvent;

public sealed record GrantRevoked(OverrideGrant Grant, string Reason) : DomainEvent;

/// <summary>The audit row a change writes: action, target, before/after (serialised as JSON), and a one-line summary.</summary>
public sealed record AuditSummary(AuditAction Action, string Target, object? Before, object? After, string Summary);

/// <summary>The result of applying one command: the next state, what happened, and how to audit it.</summary>
public sealed record ProgramChange(ProgramState State, ImmutableArray<DomainEvent> Events, AuditSummary Audit)
{
    /// <summary>The one event of type <typeparamref name="T"/> (commands emit one event each).</summary>
    public T Event<T>() where T : DomainEvent => Events.OfType<T>().Single();
}
