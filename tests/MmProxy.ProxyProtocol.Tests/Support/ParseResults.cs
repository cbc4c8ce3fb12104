namespace MmProxy.ProxyProtocol.Tests.Support;

/// <summary>Deep comparison of parse results (TLV values compared byte by byte).</summary>
internal static class ParseResults
{
    public static bool AreEqual(ProxyParseResult a, ProxyParseResult b)
    {
        if (a.Status != b.Status || a.Error != b.Error || a.BytesConsumed != b.BytesConsumed)
        {
            return false;
        }

        return a.Status != ProxyParseStatus.Complete || HeadersEqual(a.Header, b.Header);
    }

    public static bool HeadersEqual(ProxyHeader a, ProxyHeader b) =>
        a.Version == b.Version && a.Command == b.Command && a.Family == b.Family &&
        a.Source == b.Source && a.Destination == b.Destination && a.Length == b.Length &&
        a.HasCrc32C == b.HasCrc32C && TlvsEqual(a.Tlvs, b.Tlvs);

    public static bool TlvsEqual(IReadOnlyList<ProxyTlv> a, IReadOnlyList<ProxyTlv> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        for (int i = 0; i < a.Count; i++)
        {
            if (a[i].Type != b[i].Type || !a[i].Value.Span.SequenceEqual(b[i].Value.Span))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Parses every prefix of <paramref name="input"/>: the first decided (non-NeedMore) answer must
    /// equal the whole-input answer, and stay the same for every longer prefix.
    /// </summary>
    public static string? CheckPrefixConsistency(ProxyHeaderParser parser, ReadOnlySpan<byte> input)
    {
        ProxyParseResult whole = parser.Parse(input);
        bool decided = false;
        for (int k = 0; k <= input.Length; k++)
        {
            ProxyParseResult r = parser.Parse(input[..k]);
            if (r.Status == ProxyParseStatus.NeedMore)
            {
                if (decided)
                {
                    return $"prefix {k}: NeedMore after a decision";
                }

                continue;
            }

            decided = true;
            if (!AreEqual(r, whole))
            {
                return $"prefix {k}: {r} but whole input: {whole}";
            }
        }

        return null;
    }
}
