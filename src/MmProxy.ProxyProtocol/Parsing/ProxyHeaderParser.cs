namespace MmProxy.ProxyProtocol;

/// <summary>
/// Incremental, strict PROXY protocol parser. Stateless: call <see cref="Parse"/> again with all the
/// bytes received so far. Never throws, never consumes past the header, gives the same answer whole
/// or byte by byte (each decision depends only on the bytes up to the one that decides it), and
/// allocates nothing for v1 TCP and v2 headers without TLVs.
/// </summary>
public sealed partial class ProxyHeaderParser
{
    private readonly int _maxHeaderSize;

    public ProxyHeaderParser(ProxyHeaderParserOptions? options = null)
    {
        _maxHeaderSize = (options ?? new ProxyHeaderParserOptions()).MaxHeaderSize;
    }

    public static ProxyHeaderParser Default { get; } = new();

    public int MaxHeaderSize => _maxHeaderSize;

    /// <summary>
    /// True when <paramref name="data"/> starts with the whole 12-byte v2 signature: where a header is
    /// optional (the first datagram of a UDP session only), anything else is payload.
    /// </summary>
    public static bool StartsWithV2Signature(ReadOnlySpan<byte> data) => data.StartsWith(V2Signature);

    public ProxyParseResult Parse(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return ProxyParseResult.NeedMore;
        }

        return data[0] switch
        {
            (byte)'P' => ParseV1(data),
            0x0D => ParseV2(data),
            _ => ProxyParseResult.Invalid(ProxyParseError.NotProxyProtocol),
        };
    }
}
