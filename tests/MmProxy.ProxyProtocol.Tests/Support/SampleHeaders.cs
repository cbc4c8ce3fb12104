namespace MmProxy.ProxyProtocol.Tests.Support;

/// <summary>Valid headers of every shape: test data, prefix checks and fuzz seeds.</summary>
internal static class SampleHeaders
{
    public static IReadOnlyList<byte[]> All { get; } = Build();

    public static TheoryData<int> Indexes()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < All.Count; i++)
        {
            data.Add(i);
        }

        return data;
    }

    private static List<byte[]> Build()
    {
        const string MaxV6 = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
        return
        [
            Bytes.Ascii("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"),
            Bytes.Ascii("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n"),
            Bytes.Ascii("PROXY TCP6 " + MaxV6 + " " + MaxV6 + " 65535 65535\r\n"),
            Bytes.Ascii("PROXY TCP6 ::ffff:192.0.2.1 2001:db8::1 0 1\r\n"),
            Bytes.Ascii("PROXY UNKNOWN\r\n"),
            Bytes.Ascii("PROXY UNKNOWN " + MaxV6 + " " + MaxV6 + " 65535 65535\r\n"),
            V2Raw.Build(0x21, 0x11, V2Raw.IPv4Block()),
            V2Raw.Build(0x21, 0x12, V2Raw.IPv4Block()),
            V2Raw.Build(0x21, 0x21, V2Raw.IPv6Block()),
            V2Raw.Build(0x21, 0x22, V2Raw.IPv6Block()),
            V2Raw.Build(0x21, 0x31, V2Raw.UnixBlock("/run/a.sock", "/run/b.sock")),
            V2Raw.Build(0x21, 0x32, V2Raw.UnixBlock("\0abstract", "/run/b.sock")),
            V2Raw.Build(0x20, 0x00),
            V2Raw.Build(0x20, 0x11, V2Raw.IPv4Block()),
            V2Raw.Build(0x21, 0x00),
            V2Raw.Build(0x21, 0x11, V2Raw.IPv4Block(), V2Raw.Tlv(0x01, "h2"), V2Raw.Tlv(0x02, "example.com"), V2Raw.Tlv(0x04, new byte[5])),
            V2Raw.Build(
                0x21,
                0x21,
                V2Raw.IPv6Block(),
                V2Raw.Tlv(0x20, Bytes.Concat([0x07, 0, 0, 0, 0], V2Raw.Tlv(0x21, "TLSv1.3"), V2Raw.Tlv(0x22, "cn"), V2Raw.Tlv(0x23, "TLS_AES_128_GCM_SHA256"))),
                V2Raw.Tlv(0xEA, Bytes.Concat([0x01], Bytes.Ascii("vpce-08d2bf15fac5001c9")))),
            V2Raw.Build(0x21, 0x11, V2Raw.IPv4Block(), V2Raw.Tlv(0xEE, 0x01, 1, 2, 3, 4), V2Raw.Tlv(0xE0, new byte[8]), V2Raw.Tlv(0x05, new byte[16]), V2Raw.Tlv(0x30, "ns")),
            V2Raw.WithCrc32C(0x21, 0x11, V2Raw.IPv4Block(), V2Raw.Tlv(0x01, "h2")),
            V2Raw.WithCrc32C(0x21, 0x22, V2Raw.IPv6Block(), V2Raw.Tlv(0x42, 1, 2, 3)),
        ];
    }
}
