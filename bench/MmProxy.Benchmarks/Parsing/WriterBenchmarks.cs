using System.Net;
using BenchmarkDotNet.Attributes;
using MmProxy.ProxyProtocol;

namespace MmProxy.Benchmarks.Parsing;

/// <summary>Header writing into a caller's buffer (span forms).</summary>
[MemoryDiagnoser]
public class WriterBenchmarks
{
    private static readonly ProxyAddress V4Source = ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("192.0.2.1:56324"));
    private static readonly ProxyAddress V4Destination = ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("198.51.100.2:443"));
    private readonly byte[] _buffer = new byte[512];

    [Benchmark]
    public int WriteV1Tcp4()
    {
        ProxyHeaderWriter.TryWriteV1(_buffer, ProxyFamily.Tcp4, V4Source, V4Destination, out int written);
        return written;
    }

    [Benchmark]
    public int WriteV2Tcp4()
    {
        ProxyHeaderWriter.TryWriteV2(_buffer, ProxyCommand.Proxy, ProxyFamily.Tcp4, V4Source, V4Destination, null, false, out int written);
        return written;
    }

    [Benchmark]
    public int WriteV2Tcp4Crc32C()
    {
        ProxyHeaderWriter.TryWriteV2(_buffer, ProxyCommand.Proxy, ProxyFamily.Tcp4, V4Source, V4Destination, null, true, out int written);
        return written;
    }
}
