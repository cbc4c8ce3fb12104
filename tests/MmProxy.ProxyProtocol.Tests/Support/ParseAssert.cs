namespace MmProxy.ProxyProtocol.Tests.Support;

/// <summary>Assertions that also check the byte-by-byte agreement of every verdict.</summary>
internal static class ParseAssert
{
    public static void Invalid(byte[] input, ProxyParseError expected, ProxyHeaderParser? parser = null)
    {
        parser ??= ProxyHeaderParser.Default;
        ProxyParseResult r = parser.Parse(input);
        Assert.True(r.Status == ProxyParseStatus.Invalid, $"expected Invalid({expected}), got {r}");
        Assert.Equal(expected, r.Error);
        Assert.Equal(0, r.BytesConsumed);
        Assert.Null(ParseResults.CheckPrefixConsistency(parser, input));
    }

    public static void Invalid(string ascii, ProxyParseError expected) => Invalid(Bytes.Ascii(ascii), expected);

    public static void NeedMore(byte[] input, ProxyHeaderParser? parser = null)
    {
        ProxyParseResult r = (parser ?? ProxyHeaderParser.Default).Parse(input);
        Assert.True(r.Status == ProxyParseStatus.NeedMore, $"expected NeedMore, got {r}");
        Assert.Equal(ProxyParseError.None, r.Error);
        Assert.Equal(0, r.BytesConsumed);
    }

    public static ProxyHeader Complete(byte[] input, int? expectedLength = null, ProxyHeaderParser? parser = null)
    {
        parser ??= ProxyHeaderParser.Default;
        ProxyParseResult r = parser.Parse(input);
        Assert.True(r.Status == ProxyParseStatus.Complete, $"expected Complete, got {r}");
        Assert.Equal(ProxyParseError.None, r.Error);
        Assert.Equal(expectedLength ?? input.Length, r.BytesConsumed);
        Assert.Equal(r.Header.Length, r.BytesConsumed);
        Assert.Null(ParseResults.CheckPrefixConsistency(parser, input));
        return r.Header;
    }

    public static ProxyHeader Complete(string ascii) => Complete(Bytes.Ascii(ascii));
}
