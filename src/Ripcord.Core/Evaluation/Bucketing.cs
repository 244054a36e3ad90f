using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Ripcord.Core.Evaluation;

/// <summary>
/// The percentage-cohort contract, in one place (documented in docs/evaluation.md):
/// <list type="bullet">
/// <item>bytes hashed: UTF-8 of <c>{seed}:{workspaceId}</c>, where the seed defaults to <c>{program}.{cohort}</c>;</item>
/// <item>hash: MurmurHash3 x86 32-bit, seed 0, blocks read little-endian;</item>
/// <item>bucket: <c>hash % 10000</c>, so 0–9999 (basis points);</item>
/// <item>member when <c>bucket &lt; percentage × 100</c>: 0% admits nobody, 100% everybody, and raising
///   the percentage never removes anyone (the bucket does not depend on the percentage).</item>
/// </list>
/// A context without a workspace id is in no percentage cohort.
/// </summary>
public static class Bucketing
{
    public const int BucketCount = 10_000;

    public static string DefaultSeed(string program, string cohort) => program + "." + cohort;

    public static int Bucket(string seed, string workspaceId)
    {
        Span<byte> prefix = stackalloc byte[256];
        var max = Encoding.UTF8.GetMaxByteCount(seed.Length) + 1;
        if (max > prefix.Length)
        {
            return Bucket(Prefix(seed), workspaceId);
        }
        var n = Encoding.UTF8.GetBytes(seed, prefix);
        prefix[n++] = (byte)':';
        return Bucket(prefix[..n], workspaceId);
    }

    /// <summary>The UTF-8 of <c>{seed}:</c>, encoded once per cohort rather than once per evaluation.</summary>
    internal static byte[] Prefix(string seed) => Encoding.UTF8.GetBytes(seed + ":");

    internal static int Bucket(ReadOnlySpan<byte> prefix, string workspaceId)
    {
        var max = prefix.Length + Encoding.UTF8.GetMaxByteCount(workspaceId.Length);
        byte[]? rented = null;
        var buffer = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
        prefix.CopyTo(buffer);
        var n = prefix.Length + Encoding.UTF8.GetBytes(workspaceId, buffer[prefix.Length..]);
        var bucket = (int)(Murmur3(buffer[..n], 0) % BucketCount);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
        return bucket;
    }

    /// <summary>True when the workspace's bucket is below <paramref name="basisPoints"/> (percentage × 100).</summary>
    public static bool IsInBucket(string seed, string workspaceId, int basisPoints) =>
        basisPoints >= BucketCount || (basisPoints > 0 && Bucket(seed, workspaceId) < basisPoints);

    /// <summary>MurmurHash3 x86 32-bit.</summary>
    public static uint Murmur3(ReadOnlySpan<byte> data, uint seed)
    {
        const uint c1 = 0xcc9e2d51, c2 = 0x1b873593;
        var h = seed;
        var blocks = data.Length / 4;
        for (var i = 0; i < blocks; i++)
        {
            var k = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i * 4, 4));
            k *= c1;
            k = uint.RotateLeft(k, 15);
            k *= c2;
            h ^= k;
            h = uint.RotateLeft(h, 13);
            h = (h * 5) + 0xe6546b64;
        }
        var tail = data[(blocks * 4)..];
        uint t = 0;
        switch (tail.Length)
        {
            case 3:
                t ^= (uint)tail[2] << 16;
                goto case 2;
            case 2:
                t ^= (uint)tail[1] << 8;
                goto case 1;
            case 1:
                t ^= tail[0];
                t *= c1;
                t = uint.RotateLeft(t, 15);
                t *= c2;
                h ^= t;
                break;
        }
        h ^= (uint)data.Length;
        h ^= h >> 16;
        h *= 0x85ebca6b;
        h ^= h >> 13;
        h *= 0xc2b2ae35;
        h ^= h >> 16;
        return h;
    }
}
