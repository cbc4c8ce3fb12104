using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using MmProxy.ProxyProtocol;

namespace MmProxy.Benchmarks.Parsing;

/// <summary>ns per header and bytes allocated for the parse hot path and, for contrast, TLV-carrying headers.</summary>
[MemoryDiagnoser]
public class ParserBenchmarks
{
    private static readonly ProxyAddress V4Source = ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("192.0.2.1:56324"));
    private static readonly ProxyAddress V4Destination = ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("198.51.100.2:443"));
    private static readonly ProxyAddress V6Source = ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("[2001:db8:85a3::8a2e:370:7334]:56324"));
    private static readonly ProxyAddress V6Destination = ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("[2001:db8::2]:443"));

    private readonly ProxyHeaderParser _parser = ProxyHeaderParser.Default;

    private byte[] _v1Tcp4 = [];
    private byte[] _v1Tcp6 = [];
    private byte[] _v2Tcp4 = [];
    private byte[] _v2Tcp6 = [];
    private byte[] _v2Tlvs = [];
    private byte[] _v2Crc = [];
    private byte[] _http = [];

    [GlobalSetup]
    public void Setup()
    {
        _v1Tcp4 = ProxyHeaderWriter.WriteV1(ProxyFamily.Tcp4, V4Source, V4Destination);
        _v1Tcp6 = ProxyHeaderWriter.WriteV1(ProxyFamily.Tcp6, V6Source, V6Destination);
        _v2Tcp4 = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Tcp4, V4Source, V4Destination);
        _v2Tcp6 = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Tcp6, V6Source, V6Destination);
        ProxyTlv[] tlvs =
        [
            ProxyTlv.Alpn("h2"),
            ProxyTlv.Authority("www.example.com"),
            ProxyTlv.Ssl(ProxySslClientFlags.Ssl, 0, [ProxyTlv.FromText(ProxyTlvType.SslVersion, "TLSv1.3"), ProxyTlv.FromText(ProxyTlvType.SslCipher, "TLS_AES_128_GCM_SHA256")]),
            ProxyTlv.Aws("vpce-08d2bf15fac5001c9"),
        ];
        _v2Tlvs = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Tcp4, V4Source, V4Destination, tlvs);
        _v2Crc = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Tcp4, V4Source, V4Destination, [ProxyTlv.Noop(200)], crc32c: true);
        _http = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
    }

    [Benchmark(Baseline = true)]
    public int ParseV1Tcp4() => _parser.Parse(_v1Tcp4).BytesConsumed;

    [Benchmark]
    public int ParseV1Tcp6() => _parser.Parse(_v1Tcp6).BytesConsumed;

    [Benchmark]
    public int ParseV2Tcp4() => _parser.Parse(_v2Tcp4).BytesConsumed;

    [Benchmark]
    public int ParseV2Tcp6() => _parser.Parse(_v2Tcp6).BytesConsumed;

    [Benchmark]
    public int ParseV2WithTlvs() => _parser.Parse(_v2Tlvs).BytesConsumed;

    [Benchmark]
    public int ParseV2Crc32C() => _parser.Parse(_v2Crc).BytesConsumed;

    [Benchmark]
    public int ParseRejectHttp() => (int)_parser.Parse(_http).Status;
}
