namespace Ripcord.Cli.Api;

/// <summary>
/// A successful answer: the typed value, the body exactly as the server sent it (what <c>--json</c>
/// prints — never re-serialised from <paramref name="Value"/>), the revision from the <c>ETag</c>
/// where the endpoint sends one, and the status (200, or 201 for a create).
/// </summary>
public sealed record ApiResponse<T>(T Value, string Raw, long? Revision, int Status);
