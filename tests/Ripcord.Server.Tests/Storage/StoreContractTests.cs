using System.Data.Common;
using Ripcord.Core.Audit;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Tests.Storage;

/// <summary>
/// The contract every storage backend keeps (IRevisionStore, IAuditLog, ITokenStore): numbered
/// revisions with optimistic concurrency, an append-only hash-chained audit log enforced by the
/// database itself, hashed tokens. Each backend runs the same tests on an empty store of its own.
/// </summary>
public abstract class StoreContractTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    protected SqlStore Store { get; private set; } = null!;

    private IRevisionStore Revisions => Store;
    private IAuditLog Audit => Store;
    private ITokenStore Tokens => Store;

    /// <summary>A new, uninitialised store on empty storage.</summary>
    protected abstract Task<SqlStore> CreateStoreAsync();

    /// <summary>Runs SQL directly against the store's database, bypassing the store.</summary>
    protected abstract Task ExecuteRawAsync(string sql);

    /// <summary>SQL that disables the append-only triggers (what a database superuser could do).</summary>
    protected abstract string DisableAppendOnlyTriggersSql { get; }

    protected abstract Task DestroyStoreAsync();

    public async Task InitializeAsync()
    {
        Store = await CreateStoreAsync();
        await Store.InitializeAsync();
    }

    public Task DisposeAsync() => DestroyStoreAsync();

    private static RevisionDraft Draft(string program, long expected, string state = "{\"n\":1}", int minute = 0) =>
        new(program, expected, T0.AddMinutes(minute).AddTicks(1234567), "alice", $"change {expected + 1}", state);

    private static AuditDraft Event(string action, int second = 0, string outcome = "ok") =>
        new(T0.AddSeconds(second).AddTicks(4321), "alice", "operator", action, "override:groups/ovr_1", "{\"before\":1}", null, outcome);

    private async Task<List<AuditEntry>> AllAuditAsync() => [.. await Audit.ReadAsync(0, 10_000)];

    [Fact]
    public async Task EmptyStore_HasNoRevisionsNoAuditNoTokens_AndIsReachable()
    {
        Assert.True(await Store.PingAsync());
        Assert.Null(await Revisions.GetLatestAsync("groups"));
        Assert.Null(await Revisions.GetAsync("groups", 1));
        Assert.Empty(await Revisions.ListAsync("groups", null, 10));
        Assert.Empty(await Revisions.HeadsAsync());
        Assert.Empty(await Audit.ReadAsync(0, 10));
        Assert.Empty(await Tokens.ListAsync());
    }

    [Fact]
    public async Task AppendedRevisions_AreNumberedFromOne_AndReadBackExactly()
    {
        var r1 = await Revisions.AppendAsync(Draft("groups", 0, "{\"a\":1}"), Event("x"));
        var r2 = await Revisions.AppendAsync(Draft("groups", 1, "{\"a\":2}", 1), Event("y"));
        var other = await Revisions.AppendAsync(Draft("payments", 0, "{\"p\":true}"), Event("z"));
        Assert.Equal(1, r1.Revision);
        Assert.Equal(2, r2.Revision);
        Assert.Equal(1, other.Revision);

        var latest = await Revisions.GetLatestAsync("groups");
        Assert.Equal(r2, latest);
        Assert.Equal(r1, await Revisions.GetAsync("groups", 1));
        Assert.Equal(T0.AddTicks(1234567), (await Revisions.GetAsync("groups", 1))!.CreatedAt);
        Assert.Null(await Revisions.GetAsync("groups", 3));

        var listed = await Revisions.ListAsync("groups", null, 10);
        Assert.Equal([2L, 1L], listed.Select(r => r.Revision));
        Assert.All(listed, r => Assert.Equal("", r.StateJson));
        Assert.Equal("change 2", listed[0].Summary);
        Assert.Equal([1L], (await Revisions.ListAsync("groups", 2, 10)).Select(r => r.Revision));
        Assert.Equal([2L], (await Revisions.ListAsync("groups", null, 1)).Select(r => r.Revision));

        var heads = await Revisions.HeadsAsync();
        Assert.Equal(2, heads.Count);
        Assert.Equal(2, heads["groups"]);
        Assert.Equal(1, heads["payments"]);
    }

    [Fact]
    public async Task AppendWithStaleExpectedRevision_Conflicts_AndStoresNeitherRevisionNorAudit()
    {
        await Revisions.AppendAsync(Draft("groups", 0), Event("first"));
        await Revisions.AppendAsync(Draft("groups", 1), Event("second"));
        var auditBefore = await AllAuditAsync();

        foreach (var stale in new long[] { 0, 1, 3, 42 })
        {
            var ex = await Assert.ThrowsAsync<RevisionConflictException>(() => Revisions.AppendAsync(Draft("groups", stale, "{\"lost\":true}"), Event("stale")));
            Assert.Equal(stale, ex.Expected);
            Assert.Equal(2, ex.Actual);
            Assert.Equal("groups", ex.Program);
        }
        Assert.Equal(2, (await Revisions.GetLatestAsync("groups"))!.Revision);
        Assert.Equal(2, (await Revisions.HeadsAsync())["groups"]);
        Assert.Equal(auditBefore, await AllAuditAsync());
    }

    [Fact]
    public async Task ConcurrentAppendsAtTheSameHead_ExactlyOneWins()
    {
        await Revisions.AppendAsync(Draft("groups", 0), Event("seed"));
        var attempts = Enumerable.Range(0, 8).Select(async i =>
        {
            try
            {
                await Revisions.AppendAsync(Draft("groups", 1, $"{{\"writer\":{i}}}"), Event("race " + i));
                return true;
            }
            catch (RevisionConflictException)
            {
                return false;
            }
        });
        var outcomes = await Task.WhenAll(attempts);
        Assert.Equal(1, outcomes.Count(won => won));
        Assert.Equal(2, (await Revisions.GetLatestAsync("groups"))!.Revision);
        var audit = await AllAuditAsync();
        Assert.Equal(2, audit.Count);
        Assert.True(AuditChain.Verify(audit).Ok);
    }

    [Fact]
    public async Task AuditEntries_AreSequencedAndHashChained_AndTheChainVerifies()
    {
        var appended = new List<AuditEntry>();
        appended.Add(await Audit.AppendAsync(Event("override.create", 0)));
        appended.Add(await Audit.AppendAsync(new AuditDraft(T0.AddSeconds(1), "bob", "support", "denied", "POST /api/v1/x", null, null, "denied")));
        appended.Add(await Audit.AppendAsync(new AuditDraft(T0.AddSeconds(2), "zoë ✓", "admin", "token.create", "token:t\"1", "{\"a\":\"ü\"}", "{}")));
        await Revisions.AppendAsync(Draft("groups", 0), Event("definition.apply", 3));
        await Tokens.CreateAsync(new TokenRecord("tok_1", "ci", "sdk", "hash-1", T0, "admin", null), Event("token.create", 4));
        await Tokens.RevokeAsync("tok_1", T0.AddSeconds(5), Event("token.revoke", 5));
        appended.Add(await Audit.AppendAsync(Event("last", 6)));

        var all = await AllAuditAsync();
        Assert.Equal(Enumerable.Range(1, 7).Select(i => (long)i), all.Select(e => e.Seq));
        Assert.Equal(AuditChain.Genesis, all[0].PrevHash);
        for (var i = 1; i < all.Count; i++)
        {
            Assert.Equal(all[i - 1].Hash, all[i].PrevHash);
        }
        // What AppendAsync returned is exactly what is stored (milliseconds, as hashed).
        foreach (var entry in appended)
        {
            Assert.Equal(entry, all.Single(e => e.Seq == entry.Seq));
        }
        Assert.Equal(T0.AddSeconds(0), all[0].At);
        Assert.Equal("denied", all[1].Outcome);
        Assert.Equal("zoë ✓", all[2].Actor);

        var verification = AuditChain.Verify(all);
        Assert.True(verification.Ok, verification.Problem);
        Assert.Equal(7, verification.Checked);

        // Paged reads continue the chain.
        var page1 = await Audit.ReadAsync(0, 3);
        var page2 = await Audit.ReadAsync(3, 3);
        var page3 = await Audit.ReadAsync(6, 3);
        Assert.Equal([4L, 5L, 6L], page2.Select(e => e.Seq));
        var v = AuditChain.Verify(page1);
        v = AuditChain.Verify(page2, v.LastHash, v.Checked);
        v = AuditChain.Verify(page3, v.LastHash, v.Checked);
        Assert.True(v.Ok);
        Assert.Equal(7, v.Checked);
    }

    [Fact]
    public async Task AuditAndRevisionRows_CannotBeUpdatedOrDeleted_ByRawSql()
    {
        await Revisions.AppendAsync(Draft("groups", 0), Event("one"));
        await Audit.AppendAsync(Event("two", 1));
        var audit = await AllAuditAsync();
        var revision = await Revisions.GetAsync("groups", 1);

        string[] tampering =
        [
            "UPDATE audit SET actor = 'mallory' WHERE seq = 1",
            "UPDATE audit SET outcome = 'ok'",
            "DELETE FROM audit WHERE seq = 2",
            "DELETE FROM audit",
            "UPDATE revisions SET state = '{}' WHERE revision = 1",
            "DELETE FROM revisions",
        ];
        foreach (var sql in tampering)
        {
            var ex = await Assert.ThrowsAnyAsync<DbException>(() => ExecuteRawAsync(sql));
            Assert.Contains("append-only", ex.Message, StringComparison.Ordinal);
        }
        Assert.Equal(audit, await AllAuditAsync());
        Assert.Equal(revision, await Revisions.GetAsync("groups", 1));
        Assert.True(AuditChain.Verify(await AllAuditAsync()).Ok);
    }

    [Fact]
    public async Task AuditTamperingPastTheTriggers_IsCaughtByChainVerification()
    {
        for (var i = 0; i < 4; i++)
        {
            await Audit.AppendAsync(Event("event " + i, i));
        }
        await ExecuteRawAsync(DisableAppendOnlyTriggersSql);
        await ExecuteRawAsync("UPDATE audit SET actor = 'mallory' WHERE seq = 3");
        var verification = AuditChain.Verify(await AllAuditAsync());
        Assert.False(verification.Ok);
        Assert.Equal(3, verification.FirstBrokenSeq);
        Assert.Equal(2, verification.Checked);
    }

    [Fact]
    public async Task Tokens_AreCreatedFoundListedAndRevokedOnce_EachWriteAudited()
    {
        var alice = new TokenRecord("tok_a", "alice", "operator", "hash-a", T0, "admin", null);
        var ci = new TokenRecord("tok_b", "ci", "sdk", "hash-b", T0.AddMinutes(1), "admin", null);
        await Tokens.CreateAsync(alice, Event("token.create"));
        await Tokens.CreateAsync(ci, Event("token.create", 1));

        Assert.Equal(alice, await Tokens.FindByHashAsync("hash-a"));
        Assert.Null(await Tokens.FindByHashAsync("no-such-hash"));
        Assert.Equal([alice, ci], await Tokens.ListAsync());

        var revokedAt = T0.AddHours(1);
        var revoked = await Tokens.RevokeAsync("tok_a", revokedAt, Event("token.revoke", 2));
        Assert.Equal(alice with { RevokedAt = revokedAt }, revoked);
        Assert.Equal(revokedAt, (await Tokens.FindByHashAsync("hash-a"))!.RevokedAt);
        Assert.Null((await Tokens.FindByHashAsync("hash-b"))!.RevokedAt);

        // Revoking twice, or a token that does not exist, changes nothing and is not audited.
        Assert.Null(await Tokens.RevokeAsync("tok_a", revokedAt.AddHours(1), Event("token.revoke", 3)));
        Assert.Null(await Tokens.RevokeAsync("tok_nope", revokedAt, Event("token.revoke", 4)));
        Assert.Equal(revokedAt, (await Tokens.FindByHashAsync("hash-a"))!.RevokedAt);
        var audit = await AllAuditAsync();
        Assert.Equal(["token.create", "token.create", "token.revoke"], audit.Select(e => e.Action));
    }

    [Fact]
    public async Task TokenWithADuplicateHash_IsRefused_AndNotAudited()
    {
        await Tokens.CreateAsync(new TokenRecord("tok_a", "a", "viewer", "same-hash", T0, "admin", null), Event("token.create"));
        await Assert.ThrowsAnyAsync<DbException>(() =>
            Tokens.CreateAsync(new TokenRecord("tok_b", "b", "admin", "same-hash", T0, "admin", null), Event("token.create", 1)));
        Assert.Single(await Tokens.ListAsync());
        Assert.Single(await AllAuditAsync());
    }

    [Fact]
    public async Task InitializingAgain_KeepsData_AndKeepsTheAppendOnlyGuard()
    {
        await Revisions.AppendAsync(Draft("groups", 0), Event("one"));
        await Tokens.CreateAsync(new TokenRecord("tok_a", "a", "viewer", "h", T0, "admin", null), Event("two", 1));
        await Store.InitializeAsync();
        await Store.InitializeAsync();
        Assert.Equal(1, (await Revisions.HeadsAsync())["groups"]);
        Assert.Single(await Tokens.ListAsync());
        Assert.Equal(2, (await AllAuditAsync()).Count);
        await Assert.ThrowsAnyAsync<DbException>(() => ExecuteRawAsync("DELETE FROM audit"));
    }
}
