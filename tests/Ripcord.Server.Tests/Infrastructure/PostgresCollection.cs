namespace Ripcord.Server.Tests.Infrastructure;

/// <summary>The tests that share one throwaway PostgreSQL cluster (xunit finds collection definitions in the test assembly only).</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresCluster>
{
    public const string Name = "PostgreSQL cluster";
}
