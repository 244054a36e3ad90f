using System.Data.Common;
using Ripcord.Core.Audit;
using Ripcord.Server.Audit;
using Ripcord.Server.Auth;
using Ripcord.Server.Revisions;
using Ripcord.Server.Storage;

namespace Ripcord.Server.Tests.Storage;

/// <summary>
/// The contract every storage backend keeps (revisions, audit, tokens in the configuration
/// database): numbered revisions written under one write lock, a write session whose rows are
/// stored together or not at all, an append-only hash-chained audit log enforced by the database
/// itself, hashed tokens. Each backend runs the same tests on an empty database of its own.
/// </summary>
public abstract class StoreContractTests : IAsyncLifetime
{
    /// <summary>Stored times are kept to the microsecond on every backend (see <see cref="SqlDatabase.Storable"/>).</summary>
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    protected Databases Databases { get; private set; } = null!;

    private IRevisionStore Revisions => new RevisionStore(Databases);
    private IAuditLog Audit => new AuditStore(Databases);
    private ITokenStore Tokens => new TokenStore(Databases);

    /// <summary>New, unmigrated databases on empty storage.</summary>
    protected abstract Task<Databases> CreateDatabasesAsync();

    /// <summary>Runs SQL directly against the configuration database, bypassing the stores.</summary>
    protected abstract Task ExecuteRawAsync(string sql);

    /// <summary>SQL that disables the append-only triggers (what a database superuser could do).</summary>
    protected abstract string DisableAppendOnlyTriggersSql { get; }

    protected abstract Task DestroyAsync();

    public async Task InitializeAsync()
    {
        Databases = await CreateDatabasesAsync();
        await Databases.MigrateAsync(CancellationToken.None);
    }

    public Task DisposeAsync() => DestroyAsync();

    private static RevisionRow Row(string program, long revision, string state = "{\"n\":1}", int minute = 0) =>
        new(program, revision, T0.AddMinutes(minute).AddTicks(1234560), "prn_alice", "alice", $"change {revision}", "set-stage",
            revision == 1 ? null : "{\"delta\":" + revision + "}", revision == 1 || revision % 2 == 0 ? state : null, "digest-" + revision);

    private static AuditDraft Event(string target, int second = 0, string outcome = "ok", AuditAction? action = null, string? principal = "prn_alice") =>
        new(T0.AddSeconds(second).AddTicks(4321), principal, "alice", "operator", action ?? AuditAction.OverrideCreate, target, "{\"before\":1}", null, outcome);

    private async Task<List<AuditEntry>> AllAuditAsync() => [.. await Audit.ReadAsync(0, 10_000)];

    /// <summary>Appends a revision and its audit row in one session, as the writer does.</summary>
    private async Task AppendAsync(RevisionRow row, AuditDraft audit)
    {
        await using var session = await Databases.Config.BeginWriteAsync(default);
        await Revisions.AppendAsync(session, row);
        await Audit.AppendAsync(session, audit);
        await session.CommitAsync(default);
    }

    [Fact]
    public async Task EmptyStore_HasNoRevisionsNoAuditNoTokens_AndIsReachable()
    {
        Assert.True(await Databases.Config.PingAsync(default));
        Assert.True(await Databases.Telemetry.PingAsync(default));
        Assert.Null(await Revisions.GetAsync("groups", 1));
        Assert.Null(await Revisions.CheckpointAsync("groups", 1));
        Assert.Empty(await Revisions.ListAsync("groups", null, 10));
        Assert.Empty(await Revisions.HeadsAsync());
        Assert.Empty(await Audit.ReadAsync(0, 10));
        Assert.Empty(await Tokens.ListAsync());
    }

    [Fact]
    public async Task AppendedRevisions_AreNumberedFromOne_AndReadBackExactly()
    {
        var r1 = Row("groups", 1, "{\"a\":1}");
        var r2 = Row("groups", 2, "{\"a\":2}", 1);
        var r3 = Row("groups", 3, minute: 2);
        var other = Row("payments", 1, "{\"p\":true}");
        await AppendAsync(r1, Event("x"));
        await AppendAsync(r2, Event("y"));
        await AppendAsync(r3, Event("y"));
        await AppendAsync(other, Event("z"));

        Assert.Equal(r1, await Revisions.GetAsync("groups", 1));
        Assert.Equal(r2, await Revisions.GetAsync("groups", 2));
        Assert.Equal(r3, await Revisions.GetAsync("groups", 3));
        Assert.Equal(T0.AddTicks(1234560), (await Revisions.GetAsync("groups", 1))!.CreatedAt);
        Assert.Null(await Revisions.GetAsync("groups", 4));

        var listed = await Revisions.ListAsync("groups", null, 10);
        Assert.Equal([3L, 2L, 1L], listed.Select(r => r.Revision));
        Assert.All(listed, r => Assert.Null(r.StateJson ?? r.DeltaJson));
        Assert.Equal("change 3", listed[0].Summary);
        Assert.Equal("prn_alice", listed[0].Principal);
        Assert.Equal([1L], (await Revisions.ListAsync("groups", 2, 10)).Select(r => r.Revision));
        Assert.Equal([3L], (await Revisions.ListAsync("groups", null, 1)).Select(r => r.Revision));

        // The checkpoint at or before a revision, and the chain after it.
        Assert.Equal(2, (await Revisions.CheckpointAsync("groups", 3))!.Revision);
        Assert.Equal(1, (await Revisions.CheckpointAsync("groups", 1))!.Revision);
        Assert.Equal([2L, 3L], (await Revisions.ChainAsync("groups", 1, 3)).Select(r => r.Revision));
        Assert.Equal([2L], (await Revisions.ChainAsync("groups", 1, 2)).Select(r => r.Revision));

        var heads = await Revisions.HeadsAsync();
        Assert.Equal(2, heads.Count);
        Assert.Equal(3, heads["groups"]);
        Assert.Equal(1, heads["payments"]);
    }

    [Fact]
    public async Task AppendingATakenRevisionNumber_Conflicts_AndTheSessionStoresNothing()
    {
        await AppendAsync(Row("groups", 1), Event("first"));
        await AppendAsync(Row("groups", 2), Event("second"));
        var auditBefore = await AllAuditAsync();

        foreach (var taken in new long[] { 1, 2 })
        {
            await using var session = await Databases.Config.BeginWriteAsync(default);
            await Audit.AppendAsync(session, Event("stale"));
            var ex = await Assert.ThrowsAsync<RevisionConflictException>(() => Revisions.AppendAsync(session, Row("groups", taken, "{\"lost\":true}")));
            Assert.Equal(taken - 1, ex.Expected);
            Assert.Equal(2, ex.Actual);
            Assert.Equal("groups", ex.Program);
        }
        Assert.Equal(2, (await Revisions.HeadsAsync())["groups"]);
        Assert.Equal("{\"n\":1}", (await Revisions.GetAsync("groups", 2))!.StateJson);
        Assert.Equal(auditBefore, await AllAuditAsync());
    }

    [Fact]
    public async Task ConcurrentWritersAtTheSameHead_ExactlyOneWins_BecauseTheSessionHoldsTheLock()
    {
        await AppendAsync(Row("groups", 1), Event("seed"));
        var attempts = Enumerable.Range(0, 8).Select(async i =>
        {
            await using var session = await Databases.Config.BeginWriteAsync(default);
            if (await Revisions.HeadAsync(session, "groups") != 1)
            {
                return false; // the head moved while this writer waited for the lock: a stale If-Match would get 409 here
            }
            await Revisions.AppendAsync(session, Row("groups", 2, $"{{\"writer\":{i}}}"));
            await Audit.AppendAsync(session, Event("race " + i));
            await session.CommitAsync(default);
            return true;
        });
        var outcomes = await Task.WhenAll(attempts);
        Assert.Equal(1, outcomes.Count(won => won));
        Assert.Equal(2, (await Revisions.HeadsAsync())["groups"]);
        var audit = await AllAuditAsync();
        Assert.Equal(2, audit.Count);
        Assert.True(AuditChain.Verify(audit).Ok);
    }

    [Fact]
    public async Task AuditSearch_FiltersByActorActionAndTargetPrefix_NewestFirst_WithLikeCharactersTakenLiterally()
    {
        await Audit.AppendAsync(Event("override:groups/ovr_1", 0));
        await Audit.AppendAsync(Event("override:groups/ovr_2", 1, action: AuditAction.OverrideDelete));
        await Audit.AppendAsync(new AuditDraft(T0.AddSeconds(2), "prn_bob", "bob", "admin", AuditAction.OverrideCreate, "override:groupsX/ovr_3", null, "{}"));
        await Audit.AppendAsync(Event("override:g%oups/ovr_4", 3));

        Assert.Equal(["override:g%oups/ovr_4", "override:groups/ovr_2", "override:groups/ovr_1"],
            (await Audit.SearchAsync(new AuditFilter(Actor: "alice"), null, 10)).Select(e => e.Target));
        Assert.Equal(["override:groups/ovr_2"], (await Audit.SearchAsync(new AuditFilter(Action: AuditAction.OverrideDelete.Name), null, 10)).Select(e => e.Target));
        // A prefix: "override:groups/" is not "override:groupsX/"; % and _ are characters, not wildcards.
        Assert.Equal(["override:groups/ovr_2", "override:groups/ovr_1"], (await Audit.SearchAsync(new AuditFilter(Target: "override:groups/"), null, 10)).Select(e => e.Target));
        Assert.Equal(["override:g%oups/ovr_4"], (await Audit.SearchAsync(new AuditFilter(Target: "override:g%"), null, 10)).Select(e => e.Target));
        Assert.Empty(await Audit.SearchAsync(new AuditFilter(Target: "override:gr_ups"), null, 10));
        var newest = await Audit.SearchAsync(new AuditFilter(), null, 2);
        Assert.Equal(["override:g%oups/ovr_4", "override:groupsX/ovr_3"], newest.Select(e => e.Target));
        Assert.Equal(["override:groups/ovr_2", "override:groups/ovr_1"], (await Audit.SearchAsync(new AuditFilter(), newest[^1].Seq, 10)).Select(e => e.Target));
    }

    [Fact]
    public async Task AuditEntries_AreSequencedAndHashChained_AndTheChainVerifies()
    {
        var appended = new List<AuditEntry>();
        appended.Add(await Audit.AppendAsync(Event("override:groups/ovr_1", 0)));
        appended.Add(await Audit.AppendAsync(new AuditDraft(T0.AddSeconds(1), "prn_bob", "bob", "support", AuditAction.Denied, "POST /api/v1/x", null, null, "denied")));
        appended.Add(await Audit.AppendAsync(new AuditDraft(T0.AddSeconds(2), "prn_z", "zoë ✓", "admin", AuditAction.TokenCreate, "token:t\"1", "{\"a\":\"ü\"}", "{}")));
        // A row without a principal (as every row written before principals existed) chains the same way.
        appended.Add(await Audit.AppendAsync(Event("legacy", 3, principal: null)));
        await AppendAsync(Row("groups", 1), Event("program:groups", 4, action: AuditAction.DefinitionApply));
        await CreateTokenAsync(new TokenRecord("tok_1", "prn_1", "ci", "sdk", "hash-1", T0, "admin", null), Event("token:tok_1", 5));
        await RevokeTokenAsync("tok_1", T0.AddSeconds(6), Event("token:tok_1", 6));
        appended.Add(await Audit.AppendAsync(Event("last", 7)));

        var all = await AllAuditAsync();
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), all.Select(e => e.Seq));
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
        Assert.Null(all[3].Principal);
        Assert.Equal("prn_bob", all[1].Principal);

        var verification = AuditChain.Verify(all);
        Assert.True(verification.Ok, verification.Problem);
        Assert.Equal(8, verification.Checked);

        // Paged reads continue the chain.
        var page1 = await Audit.ReadAsync(0, 3);
        var page2 = await Audit.ReadAsync(3, 3);
        var page3 = await Audit.ReadAsync(6, 3);
        Assert.Equal([4L, 5L, 6L], page2.Select(e => e.Seq));
        var v = AuditChain.Verify(page1);
        v = AuditChain.Verify(page2, v.LastHash, v.Checked);
        v = AuditChain.Verify(page3, v.LastHash, v.Checked);
        Assert.True(v.Ok);
        Assert.Equal(8, v.Checked);
    }

    [Fact]
    public async Task AuditRevisionAndEventRows_CannotBeUpdatedOrDeleted_ByRawSql()
    {
        await using (var session = await Databases.Config.BeginWriteAsync(default))
        {
            await Revisions.AppendAsync(session, Row("groups", 1));
            await Revisions.AppendEventsAsync(session, [new StoredEvent("groups", 1, 0, "stage-changed", "{}")]);
            await Audit.AppendAsync(session, Event("one"));
            await session.CommitAsync(default);
        }
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
            "UPDATE events SET body = '{\"forged\":true}'",
            "DELETE FROM events",
        ];
        foreach (var sql in tampering)
        {
            var ex = await Assert.ThrowsAnyAsync<DbException>(() => ExecuteRawAsync(sql));
            Assert.Contains("append-only", ex.Message, StringComparison.Ordinal);
        }
        Assert.Equal(audit, await AllAuditAsync());
        Assert.Equal(revision, await Revisions.GetAsync("groups", 1));
        Assert.Single(await Revisions.EventsAsync("groups", 1));
        Assert.True(AuditChain.Verify(await AllAuditAsync()).Ok);
    }

    [Fact]
    public async Task AuditTamperingPastTheTriggers_IsCaughtByChainVerification()
    {
        for (var i = 0; i < 4; i++)
        {
            await Audit.AppendAsync(Event("event " + i, i, principal: i % 2 == 0 ? "prn_alice" : null));
        }
        await ExecuteRawAsync(DisableAppendOnlyTriggersSql);
        await ExecuteRawAsync("UPDATE audit SET actor = 'mallory' WHERE seq = 3");
        var verification = AuditChain.Verify(await AllAuditAsync());
        Assert.False(verification.Ok);
        Assert.Equal(3, verification.FirstBrokenSeq);
        Assert.Equal(2, verification.Checked);

        // Forging the principal of a row is caught too.
        await ExecuteRawAsync("UPDATE audit SET actor = 'alice' WHERE seq = 3");
        Assert.True(AuditChain.Verify(await AllAuditAsync()).Ok);
        await ExecuteRawAsync("UPDATE audit SET principal = 'prn_mallory' WHERE seq = 1");
        Assert.Equal(1, AuditChain.Verify(await AllAuditAsync()).FirstBrokenSeq);
    }

    private async Task CreateTokenAsync(TokenRecord token, AuditDraft audit)
    {
        await using var session = await Databases.Config.BeginWriteAsync(default);
        await Tokens.CreateAsync(session, token);
        await Audit.AppendAsync(session, audit);
        await session.CommitAsync(default);
    }

    /// <summary>As TokenService does: the audit row is written only when a token was revoked.</summary>
    private async Task<TokenRecord?> RevokeTokenAsync(string id, DateTimeOffset at, AuditDraft audit)
    {
        await using var session = await Databases.Config.BeginWriteAsync(default);
        var revoked = await Tokens.RevokeAsync(session, id, at);
        if (revoked is not null)
        {
            await Audit.AppendAsync(session, audit);
            await session.CommitAsync(default);
        }
        return revoked;
    }

    [Fact]
    public async Task Tokens_AreCreatedFoundListedAndRevokedOnce_EachWriteAudited()
    {
        var alice = new TokenRecord("tok_a", "prn_a", "alice", "operator", "hash-a", T0, "admin", null);
        var ci = new TokenRecord("tok_b", "prn_b", "ci", "sdk", "hash-b", T0.AddMinutes(1), "admin", null);
        await CreateTokenAsync(alice, Event("token:tok_a", action: AuditAction.TokenCreate));
        await CreateTokenAsync(ci, Event("token:tok_b", 1, action: AuditAction.TokenCreate));

        Assert.Equal(alice, await Tokens.FindByHashAsync("hash-a"));
        Assert.Null(await Tokens.FindByHashAsync("no-such-hash"));
        Assert.Equal([alice, ci], await Tokens.ListAsync());

        var revokedAt = T0.AddHours(1);
        var revoked = await RevokeTokenAsync("tok_a", revokedAt, Event("token:tok_a", 2, action: AuditAction.TokenRevoke));
        Assert.Equal(alice with { RevokedAt = revokedAt }, revoked);
        Assert.Equal(revokedAt, (await Tokens.FindByHashAsync("hash-a"))!.RevokedAt);
        Assert.Null((await Tokens.FindByHashAsync("hash-b"))!.RevokedAt);
        Assert.Equal(1, await Tokens.RevokedCountAsync());

        // Revoking twice, or a token that does not exist, changes nothing and is not audited.
        Assert.Null(await RevokeTokenAsync("tok_a", revokedAt.AddHours(1), Event("token:tok_a", 3, action: AuditAction.TokenRevoke)));
        Assert.Null(await RevokeTokenAsync("tok_nope", revokedAt, Event("token:tok_nope", 4, action: AuditAction.TokenRevoke)));
        Assert.Equal(revokedAt, (await Tokens.FindByHashAsync("hash-a"))!.RevokedAt);
        var audit = await AllAuditAsync();
        Assert.Equal(["token.create", "token.create", "token.revoke"], audit.Select(e => e.Action));
    }

    [Fact]
    public async Task TokenWithADuplicateHash_IsRefused_AndNotAudited()
    {
        await CreateTokenAsync(new TokenRecord("tok_a", "prn_a", "a", "viewer", "same-hash", T0, "admin", null), Event("token:tok_a"));
        await Assert.ThrowsAnyAsync<DbException>(() =>
            CreateTokenAsync(new TokenRecord("tok_b", "prn_b", "b", "admin", "same-hash", T0, "admin", null), Event("token:tok_b", 1)));
        Assert.Single(await Tokens.ListAsync());
        Assert.Single(await AllAuditAsync());
    }

    [Fact]
    public async Task MigratingAgain_KeepsData_AndKeepsTheAppendOnlyGuard()
    {
        await AppendAsync(Row("groups", 1), Event("one"));
        await CreateTokenAsync(new TokenRecord("tok_a", "prn_a", "a", "viewer", "h", T0, "admin", null), Event("two", 1));
        await Databases.MigrateAsync(default);
        await Databases.MigrateAsync(default);
        Assert.Equal(1, (await Revisions.HeadsAsync())["groups"]);
        Assert.Single(await Tokens.ListAsync());
        Assert.Equal(2, (await AllAuditAsync()).Count);
        await Assert.ThrowsAnyAsync<DbException>(() => ExecuteRawAsync("DELETE FROM audit"));
    }
}
