using System.Net;
using System.Text;
using MmProxy.ProxyProtocol;

namespace MmProxy.Tests.Inspect;

/// <summary>Captured headers used by the inspect tests.</summary>
internal static class InspectSamples
{
    public static readonly string[] HeaderKeys =
        ["format", "version", "command", "family", "source", "destination", "headerLength", "payloadLength", "tlvs", "crc32c"];

    public static readonly string[] SppKeys = ["format", "client", "proxy", "headerLength", "payloadLength"];

    public static byte[] V1Tcp4WithPayload { get; } = Encoding.ASCII.GetBytes("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n");

    public static byte[] V1Tcp6 { get; } = Encoding.ASCII.GetBytes("PROXY TCP6 2001:db8::1 2001:db8::2 1234 443\r\n");

    public static byte[] V1Unknown { get; } = Encoding.ASCII.GetBytes("PROXY UNKNOWN\r\n");

    public static byte[] V2Local { get; } = ProxyHeaderWriter.WriteV2(ProxyCommand.Local, ProxyFamily.Unspec, default, default);

    public static byte[] V2Tcp4 { get; } = ProxyHeaderWriter.WriteV2(
        ProxyCommand.Proxy, ProxyFamily.Tcp4, Address("192.0.2.1:1234"), Address("198.51.100.2:443"));

    /// <summary>HAProxy-style v2 over TLS from an AWS PrivateLink: SSL (with sub-TLVs) and AWS TLVs, plus CRC32C.</summary>
    public static byte[] V2SslAws { get; } = ProxyHeaderWriter.WriteV2(
        ProxyCommand.Proxy,
        ProxyFamily.Tcp6,
        Address("[2001:db8::1]:40000"),
        Address("[2001:db8::2]:443"),
        [
            ProxyTlv.Alpn("h2"),
            ProxyTlv.Authority("www.example.com"),
            ProxyTlv.Ssl(
                ProxySslClientFlags.Ssl | ProxySslClientFlags.CertConnection,
                0,
                [
                    ProxyTlv.FromText(ProxyTlvType.SslVersion, "TLSv1.3"),
                    ProxyTlv.FromText(ProxyTlvType.SslCn, "client.example.com"),
                    ProxyTlv.FromText(ProxyTlvType.SslCipher, "TLS_AES_256_GCM_SHA384"),
                ]),
            ProxyTlv.Aws("vpce-08d2bf15fac5001c9"),
            ProxyTlv.Azure(0x12345678),
            ProxyTlv.Gcp(0x0102030405060708),
            new ProxyTlv((ProxyTlvType)0x42, new byte[] { 0xAB, 0xCD }),
        ],
        crc32c: true);

    public static byte[] V2Unix { get; } = ProxyHeaderWriter.WriteV2(
        ProxyCommand.Proxy, ProxyFamily.UnixStream, ProxyAddress.FromUnixPath("/run/client.sock"), ProxyAddress.FromUnixPath("/run/server.sock"));

    /// <summary>HAProxy's health check: LOCAL, UNSPEC, then its TLVs (here a unique id) and a CRC32C.</summary>
    public static byte[] V2LocalWithTlvs { get; } = ProxyHeaderWriter.WriteV2(
        ProxyCommand.Local, ProxyFamily.Unspec, default, default, [ProxyTlv.UniqueId("check-7"u8)], crc32c: true);

    /// <summary>SPP from 192.0.2.10:40000 to 198.51.100.7:53 (IPv4 as ::ffff:a.b.c.d), then "ping".</summary>
    public static byte[] SppIPv4WithPayload { get; } =
        [.. SppCodec.Write(new SppHeader(Address("192.0.2.10:40000"), Address("198.51.100.7:53"))), .. "ping"u8];

    public static byte[] SppIPv6 { get; } = SppCodec.Write(new SppHeader(Address("[2001:db8::1]:443"), Address("[2001:db8::53]:8443")));

    public static string Hex(byte[] bytes) => Convert.ToHexString(bytes);

    private static ProxyAddress Address(string endPoint) => ProxyAddress.FromIPEndPoint(IPEndPoint.Parse(endPoint));
}
