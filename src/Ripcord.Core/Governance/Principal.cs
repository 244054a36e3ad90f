namespace Ripcord.Core.Governance;

/// <summary>
/// Who acts: a stable, immutable id (recorded on revisions, audit rows and reviews, so "the
/// reviewer is not the actor" can be checked) and a display name (which may be any text).
/// </summary>
public sealed record Principal(string Id, string Name)
{
    /// <summary>The server itself: installing the built-in program, bootstrapping the admin.</summary>
    public static readonly Principal System = new("system", "ripcord");

    /// <summary>
    /// Whether this is the person who acted as <paramref name="principalId"/> / <paramref name="name"/>: the same
    /// principal, or a token with the same name (one person holding two tokens). Reviews and approvals need someone else.
    /// </summary>
    public bool IsSamePersonAs(string principalId, string name) =>
        string.Equals(Id, principalId, StringComparison.Ordinal) || string.Equals(Name, name, StringComparison.OrdinalIgnoreCase);
}
