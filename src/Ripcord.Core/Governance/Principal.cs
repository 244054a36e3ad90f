namespace Ripcord.Core.Governance;

/// <summary>
/// Who acts: a stable, immutable id (recorded on revisions, audit rows and reviews, so "the
/// reviewer is not the actor" can be checked) and a display name (which may be any text).
/// </summary>
public sealed record Principal(string Id, string Name)
{
    /// <summary>The server itself: installing the built-in program, bootstrapping the admin.</summary>
    public static readonly Principal System = new("system", "ripcord");
}
