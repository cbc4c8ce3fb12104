using MmProxy.ProxyProtocol.Tests.Support;

namespace MmProxy.ProxyProtocol.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void V1_and_v2_round_trip()
    {
        var v1 = Bytes.Ascii("PROXY TCP4 192.0.2.1 198.51.100.2 1234 443\r\nGET /");
        var r = ProxyHeaderParser.Default.Parse(v1);
        Assert.Equal(ProxyParseStatus.Complete, r.Status);
        Assert.Equal(v1.Length - 5, r.BytesConsumed);
        Assert.Equal("192.0.2.1:1234", r.Header.Source.ToString());

        var v2 = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Tcp6,
            ProxyAddress.FromIPEndPoint(System.Net.IPEndPoint.Parse("[2001:db8::1]:5")),
            ProxyAddress.FromIPEndPoint(System.Net.IPEndPoint.Parse("[::ffff:1.2.3.4]:6")),
            [ProxyTlv.Alpn("h2"), ProxyTlv.Aws("vpce-1"), ProxyTlv.Ssl(ProxySslClientFlags.Ssl, 0, [ProxyTlv.FromText(ProxyTlvType.SslVersion, "TLSv1.3")])], crc32c: true);
        r = ProxyHeaderParser.Default.Parse(v2);
        Assert.True(r.IsComplete, r.ToString());
        Assert.Equal("[2001:db8::1]:5", r.Header.Source.ToString());
        Assert.Equal("[::ffff:1.2.3.4]:6", r.Header.Destination.ToString());
        Assert.True(r.Header.HasCrc32C);
        Assert.Equal(4, r.Header.Tlvs.Count);
        Assert.Equal("vpce-1", r.Header.FindTlv(ProxyTlvType.Aws)!.AwsVpcEndpointId);
        Assert.Equal("TLSv1.3", r.Header.FindTlv(ProxyTlvType.Ssl)!.SubTlvs[0].Text);
    }
}
