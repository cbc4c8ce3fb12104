using System.Buffers.Binary;
using System.Text;

namespace MmProxy.ProxyProtocol;

/// <summary>
/// One v2 TLV: its type, its raw value, and decoded views for the known types (null when the type
/// does not have that field, or its value does not have the layout). SSL TLVs also expose their sub-TLVs.
/// </summary>
public sealed class ProxyTlv
{
    /// <summary>Largest value a TLV can carry (16-bit length).</summary>
    public const int MaxValueLength = ushort.MaxValue;

    /// <summary>Spec 2.2.4: a UNIQUE_ID is at most 128 bytes.</summary>
    public const int MaxUniqueIdLength = 128;

    /// <summary>AWS and Azure subtype 0x01 (VPC endpoint id / private link id).</summary>
    public const byte VendorSubtypeId = 0x01;

    private const int SslFixedLength = 5;

    /// <summary>A TLV over <paramref name="value"/> (not copied: the caller keeps it unchanged).</summary>
    public ProxyTlv(ProxyTlvType type, ReadOnlyMemory<byte> value)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value.Length, MaxValueLength, nameof(value));
        Type = type;
        Value = value;
        SubTlvs = type == ProxyTlvType.Ssl ? DecodeSubTlvs(value) : [];
    }

    public ProxyTlvType Type { get; }

    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>Encoded size on the wire (3-byte TLV header + value).</summary>
    public int EncodedLength => 3 + Value.Length;

    /// <summary>Spec name, e.g. "ALPN", "SSL_CN", "AWS"; "UNKNOWN" for unregistered types.</summary>
    public string Name => GetName(Type);

    /// <summary>SSL sub-TLVs (VERSION, CN, CIPHER, …); empty for other types.</summary>
    public IReadOnlyList<ProxyTlv> SubTlvs { get; }

    /// <summary>Text value of ALPN, AUTHORITY, NETNS and the SSL text sub-TLVs; the AWS VPC endpoint id.</summary>
    public string? Text => Type switch
    {
        ProxyTlvType.Alpn or ProxyTlvType.Authority or ProxyTlvType.Netns or ProxyTlvType.SslVersion or
            ProxyTlvType.SslCn or ProxyTlvType.SslCipher or ProxyTlvType.SslSigAlg or ProxyTlvType.SslKeyAlg or
            ProxyTlvType.SslGroup or ProxyTlvType.SslSigScheme => Encoding.UTF8.GetString(Value.Span),
        ProxyTlvType.Aws => AwsVpcEndpointId,
        _ => null,
    };

    /// <summary>The checksum carried by a CRC32C TLV (big-endian on the wire).</summary>
    public uint? Crc32C => Type == ProxyTlvType.Crc32C && Value.Length == 4 ? BinaryPrimitives.ReadUInt32BigEndian(Value.Span) : null;

    /// <summary>SSL <c>client</c> flags.</summary>
    public ProxySslClientFlags? SslClient => Type == ProxyTlvType.Ssl && Value.Length >= SslFixedLength ? (ProxySslClientFlags)Value.Span[0] : null;

    /// <summary>SSL <c>verify</c>: 0 when the client certificate was verified.</summary>
    public uint? SslVerify => Type == ProxyTlvType.Ssl && Value.Length >= SslFixedLength ? BinaryPrimitives.ReadUInt32BigEndian(Value.Span[1..]) : null;

    /// <summary>First value byte of the AWS and Azure TLVs.</summary>
    public byte? VendorSubtype => Type is ProxyTlvType.Aws or ProxyTlvType.Azure && Value.Length >= 1 ? Value.Span[0] : null;

    /// <summary>AWS (0xEA) subtype 0x01: the VPC endpoint id (visible US-ASCII, at least one byte); null otherwise.</summary>
    public string? AwsVpcEndpointId => Type == ProxyTlvType.Aws && VendorSubtype == VendorSubtypeId && IsVisibleAscii(Value.Span[1..])
        ? Encoding.ASCII.GetString(Value.Span[1..])
        : null;

    /// <summary>Azure (0xEE) subtype 0x01: the private link id (little-endian on the wire), exactly 5 bytes; null otherwise.</summary>
    public uint? AzurePrivateLinkId => Type == ProxyTlvType.Azure && VendorSubtype == VendorSubtypeId && Value.Length == 5
        ? BinaryPrimitives.ReadUInt32LittleEndian(Value.Span[1..])
        : null;

    /// <summary>GCP (0xE0): the Private Service Connect connection id (big-endian), exactly 8 bytes; null otherwise.</summary>
    public ulong? GcpPscConnectionId => Type == ProxyTlvType.Gcp && Value.Length == 8 ? BinaryPrimitives.ReadUInt64BigEndian(Value.Span) : null;

    public static ProxyTlv Alpn(string protocol) => FromText(ProxyTlvType.Alpn, protocol);

    public static ProxyTlv Authority(string hostName) => FromText(ProxyTlvType.Authority, hostName);

    public static ProxyTlv Netns(string name) => FromText(ProxyTlvType.Netns, name);

    public static ProxyTlv Noop(int length) => new(ProxyTlvType.Noop, new byte[length]);

    public static ProxyTlv UniqueId(ReadOnlySpan<byte> id)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(id.Length, MaxUniqueIdLength, nameof(id));
        return new ProxyTlv(ProxyTlvType.UniqueId, id.ToArray());
    }

    /// <summary>A text sub-TLV of SSL (SslVersion, SslCn, SslCipher, SslSigAlg, SslKeyAlg, SslGroup, SslSigScheme).</summary>
    public static ProxyTlv FromText(ProxyTlvType type, string text) => new(type, Encoding.UTF8.GetBytes(text ?? throw new ArgumentNullException(nameof(text))));

    public static ProxyTlv Ssl(ProxySslClientFlags client, uint verify, IEnumerable<ProxyTlv>? subTlvs = null)
    {
        var list = subTlvs?.ToList() ?? [];
        int length = SslFixedLength;
        foreach (ProxyTlv sub in list)
        {
            length += sub.EncodedLength;
        }

        var value = new byte[length];
        value[0] = (byte)client;
        BinaryPrimitives.WriteUInt32BigEndian(value.AsSpan(1), verify);
        int offset = SslFixedLength;
        foreach (ProxyTlv sub in list)
        {
            offset += sub.WriteTo(value.AsSpan(offset));
        }

        return new ProxyTlv(ProxyTlvType.Ssl, value);
    }

    public static ProxyTlv Aws(string vpcEndpointId)
    {
        ArgumentNullException.ThrowIfNull(vpcEndpointId);
        var value = new byte[1 + Encoding.ASCII.GetByteCount(vpcEndpointId)];
        value[0] = VendorSubtypeId;
        Encoding.ASCII.GetBytes(vpcEndpointId, value.AsSpan(1));
        return new ProxyTlv(ProxyTlvType.Aws, value);
    }

    public static ProxyTlv Azure(uint privateLinkId)
    {
        var value = new byte[5];
        value[0] = VendorSubtypeId;
        BinaryPrimitives.WriteUInt32LittleEndian(value.AsSpan(1), privateLinkId);
        return new ProxyTlv(ProxyTlvType.Azure, value);
    }

    public static ProxyTlv Gcp(ulong pscConnectionId)
    {
        var value = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(value, pscConnectionId);
        return new ProxyTlv(ProxyTlvType.Gcp, value);
    }

    public static string GetName(ProxyTlvType type) => type switch
    {
        ProxyTlvType.Alpn => "ALPN",
        ProxyTlvType.Authority => "AUTHORITY",
        ProxyTlvType.Crc32C => "CRC32C",
        ProxyTlvType.Noop => "NOOP",
        ProxyTlvType.UniqueId => "UNIQUE_ID",
        ProxyTlvType.Ssl => "SSL",
        ProxyTlvType.SslVersion => "SSL_VERSION",
        ProxyTlvType.SslCn => "SSL_CN",
        ProxyTlvType.SslCipher => "SSL_CIPHER",
        ProxyTlvType.SslSigAlg => "SSL_SIG_ALG",
        ProxyTlvType.SslKeyAlg => "SSL_KEY_ALG",
        ProxyTlvType.SslGroup => "SSL_GROUP",
        ProxyTlvType.SslSigScheme => "SSL_SIG_SCHEME",
        ProxyTlvType.SslClientCert => "SSL_CLIENT_CERT",
        ProxyTlvType.Netns => "NETNS",
        ProxyTlvType.Gcp => "GCP",
        ProxyTlvType.Aws => "AWS",
        ProxyTlvType.Azure => "AZURE",
        _ => "UNKNOWN",
    };

    /// <summary>Writes type, big-endian length, value; returns the bytes written.</summary>
    public int WriteTo(Span<byte> destination)
    {
        destination[0] = (byte)Type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], (ushort)Value.Length);
        Value.Span.CopyTo(destination[3..]);
        return EncodedLength;
    }

    public override string ToString() => $"{Name}(0x{(byte)Type:X2}, {Value.Length} bytes)";

    // The vendor TLVs sit in the custom range (spec 2.2.8), where anything may appear: a view is
    // given only for the vendor's own layout.
    private static bool IsVisibleAscii(ReadOnlySpan<byte> text)
    {
        if (text.IsEmpty)
        {
            return false;
        }

        foreach (byte b in text)
        {
            if (b is < 0x21 or > 0x7E)
            {
                return false;
            }
        }

        return true;
    }

    private static ProxyTlv[] DecodeSubTlvs(ReadOnlyMemory<byte> value)
    {
        if (value.Length < SslFixedLength || !TlvScanner.IsWellFormed(value.Span[SslFixedLength..], out int count) || count == 0)
        {
            return [];
        }

        var subs = new ProxyTlv[count];
        int offset = SslFixedLength;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> span = value.Span;
            int length = BinaryPrimitives.ReadUInt16BigEndian(span[(offset + 1)..]);
            subs[i] = new ProxyTlv((ProxyTlvType)span[offset], value.Slice(offset + 3, length));
            offset += 3 + length;
        }

        return subs;
    }
}
