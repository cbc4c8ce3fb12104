using System.Diagnostics;
using System.Globalization;
using MmProxy.ProxyProtocol.Tests.Support;
using Xunit.Abstractions;

namespace MmProxy.ProxyProtocol.Tests.Fuzz;

/// <summary>
/// Bounded, deterministic mutation fuzzing of the parser. CI runs <see cref="DefaultCases"/>; set
/// MMPROXY_FUZZ_CASES (e.g. 1000000) for a longer run, and MMPROXY_FUZZ_SEED to vary the seed.
/// </summary>
public sealed class ParserMutationFuzzTests(ITestOutputHelper output)
{
    public const int DefaultCases = 100_000;

    public const int DefaultSeed = 20261122;

    // Every Nth case also gets the (quadratic) prefix-by-prefix check.
    private const int PrefixCheckEvery = 50;

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value
            : fallback;

    [Fact]
    public void Mutated_headers_never_break_the_parser_contract()
    {
        int cases = Setting("MMPROXY_FUZZ_CASES", DefaultCases);
        int seed = Setting("MMPROXY_FUZZ_SEED", DefaultSeed);
        var mutator = new HeaderMutator(new Random(seed));
        ProxyHeaderParser[] parsers = [ProxyHeaderParser.Default, new(new ProxyHeaderParserOptions { MaxHeaderSize = 128 })];
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();

        for (int i = 0; i < cases; i++)
        {
            byte[] input = mutator.Next();
            foreach (ProxyHeaderParser parser in parsers)
            {
                string? problem = Check(parser, input, i % PrefixCheckEvery == 0);
                if (problem is not null)
                {
                    Assert.Fail($"case {i} (seed {seed}): {problem}\ninput: {Convert.ToHexString(input)}");
                }
            }

            ProxyParseResult r = parsers[0].Parse(input);
            string key = r.Status == ProxyParseStatus.Invalid ? r.Error.ToString() : r.Status.ToString();
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        clock.Stop();
        output.WriteLine($"{cases} cases, seed {seed}, {clock.Elapsed.TotalSeconds:F1} s");
        foreach ((string key, int count) in counts.OrderByDescending(kv => kv.Value))
        {
            output.WriteLine($"  {key}: {count}");
        }

        // The mutator must reach deep: complete headers and TLV-level verdicts, not only early rejects.
        Assert.True(counts.GetValueOrDefault(nameof(ProxyParseStatus.Complete)) > cases / 50, "too few Complete results");
        Assert.True(counts.GetValueOrDefault(nameof(ProxyParseError.Crc32CMismatch)) > 0, "no CRC32C mismatch reached");
        Assert.True(counts.GetValueOrDefault(nameof(ProxyParseError.TlvOverrun)) > 0, "no TLV overrun reached");
        Assert.True(counts.GetValueOrDefault(nameof(ProxyParseError.V1PortOutOfRange)) > 0, "no v1 port error reached");
    }

    /// <summary>
    /// write(parse(x)): where the writer can express the header (v1 TCP4/TCP6, v2 PROXY over IP), its
    /// output parses to the same header; byte for byte equal to x where x had to be canonical (v1
    /// TCP4: decimal without leading zeros; v2 with any CRC32C TLV last, where the writer puts it).
    /// </summary>
    internal static string? CheckRewrite(ProxyHeaderParser parser, ProxyHeader header, ReadOnlySpan<byte> consumed)
    {
        bool ip = header.Family is ProxyFamily.Tcp4 or ProxyFamily.Tcp6 or ProxyFamily.Udp4 or ProxyFamily.Udp6;
        if (!ip || header.Command != ProxyCommand.Proxy)
        {
            return null;
        }

        var tlvs = new List<ProxyTlv>(header.Tlvs.Count);
        bool crcLast = true;
        for (int i = 0; i < header.Tlvs.Count; i++)
        {
            if (header.Tlvs[i].Type == ProxyTlvType.Crc32C)
            {
                crcLast = i == header.Tlvs.Count - 1;
            }
            else
            {
                tlvs.Add(header.Tlvs[i]);
            }
        }

        byte[] written = header.Version == ProxyVersion.V1
            ? ProxyHeaderWriter.WriteV1(header.Family, header.Source, header.Destination)
            : ProxyHeaderWriter.WriteV2(header.Command, header.Family, header.Source, header.Destination, tlvs, header.HasCrc32C);
        ProxyParseResult back = parser.Parse(written);
        if (back.Status != ProxyParseStatus.Complete || back.BytesConsumed != written.Length)
        {
            return $"write(parse(x)) does not parse back: {back}";
        }

        ProxyHeader h = back.Header;
        if (h.Version != header.Version || h.Command != header.Command || h.Family != header.Family
            || h.Source != header.Source || h.Destination != header.Destination || h.HasCrc32C != header.HasCrc32C)
        {
            return $"write(parse(x)) parses to another header: {back}";
        }

        bool canonical = header.Version == ProxyVersion.V1 ? header.Family == ProxyFamily.Tcp4 : crcLast;
        return canonical && !consumed.SequenceEqual(written)
            ? $"write(parse(x)) != x: {Convert.ToHexString(consumed)} vs {Convert.ToHexString(written)}"
            : null;
    }

    /// <summary>The contract on one input; null when it holds.</summary>
    internal static string? Check(ProxyHeaderParser parser, byte[] input, bool prefixes)
    {
        ProxyParseResult first;
        ProxyParseResult second;
        try
        {
            first = parser.Parse(input);
            second = parser.Parse(input);
        }
#pragma warning disable CA1031 // Any exception is the finding.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return $"threw {e}";
        }

        if (!ParseResults.AreEqual(first, second))
        {
            return $"not deterministic: {first} vs {second}";
        }

        if (first.BytesConsumed > input.Length || first.BytesConsumed < 0)
        {
            return $"consumed {first.BytesConsumed} of {input.Length}";
        }

        if ((first.Status == ProxyParseStatus.Invalid) == (first.Error == ProxyParseError.None))
        {
            return $"status and error disagree: {first}";
        }

        if (first.Status == ProxyParseStatus.Complete)
        {
            if (first.BytesConsumed != first.Header.Length || first.BytesConsumed == 0)
            {
                return $"consumed {first.BytesConsumed} but header length {first.Header.Length}";
            }

            ProxyParseResult again = parser.Parse(input.AsSpan(0, first.BytesConsumed));
            if (!ParseResults.AreEqual(first, again))
            {
                return $"re-parse of the consumed prefix differs: {first} vs {again}";
            }

            if (CheckRewrite(parser, first.Header, input.AsSpan(0, first.BytesConsumed)) is { } rewriteProblem)
            {
                return rewriteProblem;
            }
        }

        return prefixes ? ParseResults.CheckPrefixConsistency(parser, input) : null;
    }
}
