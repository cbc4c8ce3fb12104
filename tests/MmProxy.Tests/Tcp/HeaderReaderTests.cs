using System.Net.Sockets;
using System.Text;
using MmProxy.ProxyProtocol;
using MmProxy.Tcp;
using MmProxy.Tests.TestSupport;

namespace MmProxy.Tests.Tcp;

public sealed class HeaderReaderTests : IAsyncLifetime
{
    private Socket _sender = null!;
    private Socket _receiver = null!;

    public async Task InitializeAsync() => (_sender, _receiver) = await Loopback.CreatePairAsync();

    public Task DisposeAsync()
    {
        _sender.Dispose();
        _receiver.Dispose();
        return Task.CompletedTask;
    }

    private static HeaderReader Reader(int max = 4096, int timeoutMs = 5000) => new(max, TimeSpan.FromMilliseconds(timeoutMs));

    [Fact]
    public async Task Complete_header_with_leftover_bytes()
    {
        await Loopback.SendAllAsync(_sender, "PROXY TCP4 192.0.2.1 192.0.2.2 1000 443\r\nGET /"u8.ToArray());
        HeaderReadResult result = await Reader().ReadAsync(_receiver);
        try
        {
            Assert.Equal(HeaderReadStatus.Complete, result.Status);
            Assert.Equal("192.0.2.1:1000", result.Header.Source.ToString());
            Assert.Equal("GET /", Encoding.ASCII.GetString(result.Leftover.Span));
        }
        finally
        {
            result.ReturnBuffer();
        }
    }

    [Fact]
    public async Task Header_in_pieces_is_assembled()
    {
        byte[] header = "PROXY TCP6 2001:db8::1 2001:db8::2 1000 443\r\n"u8.ToArray();
        ValueTask<HeaderReadResult> reading = Reader().ReadAsync(_receiver);
        foreach (byte b in header)
        {
            await Loopback.SendAllAsync(_sender, new[] { b });
        }

        HeaderReadResult result = await reading.AsTask().WaitAsync(Loopback.Deadline);
        Assert.Equal(HeaderReadStatus.Complete, result.Status);
        Assert.Equal("[2001:db8::1]:1000", result.Header.Source.ToString());
        Assert.True(result.Leftover.IsEmpty);
        result.ReturnBuffer();
    }

    [Fact]
    public async Task A_header_larger_than_the_first_buffer_grows_it()
    {
        byte[] header = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Tcp4,
            ProxyAddress.FromIPEndPoint(System.Net.IPEndPoint.Parse("192.0.2.1:1")), ProxyAddress.FromIPEndPoint(System.Net.IPEndPoint.Parse("192.0.2.2:2")),
            [new ProxyTlv(ProxyTlvType.Noop, new byte[2000])]);
        await Loopback.SendAllAsync(_sender, header.Concat("tail"u8.ToArray()).ToArray());
        HeaderReadResult result = await Reader().ReadAsync(_receiver).AsTask().WaitAsync(Loopback.Deadline);
        Assert.Equal(HeaderReadStatus.Complete, result.Status);
        Assert.Equal(header.Length, result.Header.Length);
        Assert.Equal("tail", Encoding.ASCII.GetString(result.Leftover.Span));
        result.ReturnBuffer();
    }

    [Fact]
    public async Task Not_a_header_is_invalid_at_once()
    {
        await Loopback.SendAllAsync(_sender, "GET / HTTP/1.1\r\n"u8.ToArray());
        HeaderReadResult result = await Reader().ReadAsync(_receiver).AsTask().WaitAsync(Loopback.Deadline);
        Assert.Equal(HeaderReadStatus.Invalid, result.Status);
        Assert.Equal(ProxyParseError.NotProxyProtocol, result.Error);
    }

    [Fact]
    public async Task Beyond_the_size_limit_is_too_large()
    {
        byte[] header = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Tcp4,
            ProxyAddress.FromIPEndPoint(System.Net.IPEndPoint.Parse("192.0.2.1:1")), ProxyAddress.FromIPEndPoint(System.Net.IPEndPoint.Parse("192.0.2.2:2")),
            [new ProxyTlv(ProxyTlvType.Noop, new byte[500])]);
        await Loopback.SendAllAsync(_sender, header);
        HeaderReadResult result = await Reader(max: 256).ReadAsync(_receiver).AsTask().WaitAsync(Loopback.Deadline);
        Assert.True(result.Status is HeaderReadStatus.TooLarge or HeaderReadStatus.Invalid, result.Status.ToString());
    }

    [Fact]
    public async Task Silence_times_out()
    {
        await Loopback.SendAllAsync(_sender, "PROXY TCP4 "u8.ToArray());
        HeaderReadResult result = await Reader(timeoutMs: 150).ReadAsync(_receiver).AsTask().WaitAsync(Loopback.Deadline);
        Assert.Equal(HeaderReadStatus.TimedOut, result.Status);
        Assert.Equal(11, result.Received);
    }

    [Fact]
    public async Task Total_silence_times_out()
    {
        HeaderReadResult result = await Reader(timeoutMs: 150).ReadAsync(_receiver).AsTask().WaitAsync(Loopback.Deadline);
        Assert.Equal(HeaderReadStatus.TimedOut, result.Status);
        Assert.Equal(0, result.Received);
    }

    [Fact]
    public async Task Fin_without_a_byte_is_closed()
    {
        _sender.Shutdown(SocketShutdown.Send);
        HeaderReadResult result = await Reader().ReadAsync(_receiver).AsTask().WaitAsync(Loopback.Deadline);
        Assert.Equal(HeaderReadStatus.Closed, result.Status);
        Assert.Equal(0, result.Received);
    }

    [Fact]
    public async Task Fin_before_the_header_is_closed()
    {
        await Loopback.SendAllAsync(_sender, "PROXY"u8.ToArray());
        _sender.Shutdown(SocketShutdown.Send);
        HeaderReadResult result = await Reader().ReadAsync(_receiver).AsTask().WaitAsync(Loopback.Deadline);
        Assert.Equal(HeaderReadStatus.Closed, result.Status);
    }

    [Fact]
    public async Task Reset_before_the_header_is_failed()
    {
        ValueTask<HeaderReadResult> reading = Reader().ReadAsync(_receiver);
        Loopback.Reset(_sender);
        HeaderReadResult result = await reading.AsTask().WaitAsync(Loopback.Deadline);
        Assert.Equal(HeaderReadStatus.Failed, result.Status);
    }
}
