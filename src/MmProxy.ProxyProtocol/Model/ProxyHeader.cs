namespace MmProxy.ProxyProtocol;

/// <summary>A decoded PROXY protocol header (v1 or v2).</summary>
public readonly struct ProxyHeader
{
    private readonly IReadOnlyList<ProxyTlv>? _tlvs;

    public ProxyVersion Version { get; init; }

    public ProxyCommand Command { get; init; }

    public ProxyFamily Family { get; init; }

    public ProxyAddress Source { get; init; }

    public ProxyAddress Destination { get; init; }

    /// <summary>Bytes the header occupies on the wire.</summary>
    public int Length { get; init; }

    /// <summary>Never null: empty (a shared empty array) when there are none.</summary>
    public IReadOnlyList<ProxyTlv> Tlvs
    {
        get => _tlvs ?? [];
        init => _tlvs = value;
    }

    /// <summary>A CRC32C TLV was present (and it was verified, or the header would be invalid).</summary>
    public bool HasCrc32C { get; init; }

    /// <summary>The upstream connection must be spoofed from <see cref="Source"/>: PROXY with an IP family.</summary>
    public bool HasClientAddress =>
        Command == ProxyCommand.Proxy && Family is ProxyFamily.Tcp4 or ProxyFamily.Tcp6 or ProxyFamily.Udp4 or ProxyFamily.Udp6;

    public bool IsDatagram => Family is ProxyFamily.Udp4 or ProxyFamily.Udp6 or ProxyFamily.UnixDgram;

    /// <summary>The first TLV of the given type, or null.</summary>
    public ProxyTlv? FindTlv(ProxyTlvType type)
    {
        foreach (ProxyTlv tlv in Tlvs)
        {
            if (tlv.Type == type)
            {
                return tlv;
            }
        }

        return null;
    }
}
