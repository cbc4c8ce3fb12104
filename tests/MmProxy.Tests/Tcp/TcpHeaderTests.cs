using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.ProxyProtocol;
using MmProxy.Tests.TestSupport;

namespace MmProxy.Tests.Tcp;

/// <summary>
/// The header phase on the loop: a header in pieces (its buffer grown as needed) with the bytes
/// after it forwarded first; invalid and too-large headers reset, counted and logged with the
/// reason; a connection that ends before its header counted as incomplete.
/// </summary>
public sealed class TcpHeaderTests
{
    private static byte[] V2Header(IPEndPoint source, int tlvBytes = 0) => ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Tcp4,
        ProxyAddress.FromIPEndPoint(source), ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("127.0.0.1:443")),
        tlvBytes == 0 ? null : [new ProxyTlv(ProxyTlvType.Noop, new byte[tlvBytes])]);

    [Fact]
    public async Task A_header_in_pieces_with_leftover_bytes_is_forwarded_leftover_first()
    {
        await using var rig = TcpLoopRig.Start();
        IPEndPoint source = TcpLoopRig.NewClientEndPoint();
        byte[] first = [.. V2Header(source), .. "early"u8.ToArray()];
        using Socket client = await rig.ConnectAsync();

        // Byte by byte for the first 10 (each read by the loop on its own), then the rest with application data.
        for (int i = 0; i < 10; i++)
        {
            await Loopback.SendAllAsync(client, first.AsMemory(i, 1));
            await rig.SettleAsync();
        }

        rig.AssertNoUpstreamConnection();
        await Loopback.SendAllAsync(client, first.AsMemory(10));
        using Socket server = await rig.AcceptAsync();
        Assert.Equal(source, server.RemoteEndPoint);
        await Loopback.SendAllAsync(client, "+late"u8.ToArray());
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal("early+late", Encoding.ASCII.GetString(await Loopback.ReadToEndAsync(server)));
    }

    [Fact]
    public async Task A_v1_header_byte_by_byte_is_assembled()
    {
        await using var rig = TcpLoopRig.Start();
        IPEndPoint source = TcpLoopRig.NewClientEndPoint();
        byte[] header = Encoding.ASCII.GetBytes($"PROXY TCP4 {source.Address} 127.0.0.1 {source.Port} 443\r\n");
        using Socket client = await rig.ConnectAsync();
        for (int i = 0; i < header.Length; i++)
        {
            await Loopback.SendAllAsync(client, header.AsMemory(i, 1));
            await rig.SettleAsync();
        }

        using Socket server = await rig.AcceptAsync();
        Assert.Equal(source, server.RemoteEndPoint);
        client.Shutdown(SocketShutdown.Send);
        Assert.Empty(await Loopback.ReadToEndAsync(server));
    }

    [Fact]
    public async Task A_large_header_in_many_pieces_grows_its_buffer_and_keeps_the_leftover()
    {
        await using var rig = TcpLoopRig.Start();
        IPEndPoint source = TcpLoopRig.NewClientEndPoint();
        byte[] header = V2Header(source, tlvBytes: 3000);
        byte[] first = [.. header, .. "tail"u8.ToArray()];
        using Socket client = await rig.ConnectAsync();
        for (int offset = 0; offset < first.Length; offset += 700)
        {
            await Loopback.SendAllAsync(client, first.AsMemory(offset, Math.Min(700, first.Length - offset)));
            await rig.SettleAsync();
        }

        using Socket server = await rig.AcceptAsync();
        Assert.Equal(source, server.RemoteEndPoint);
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal("tail", Encoding.ASCII.GetString(await Loopback.ReadToEndAsync(server)));
    }

    [Fact]
    public async Task An_invalid_header_is_reset_counted_and_logged_with_the_reason()
    {
        await using var rig = TcpLoopRig.Start();
        using Socket client = await rig.ConnectAsync();
        await Loopback.SendAllAsync(client, "GET / HTTP/1.1\r\n\r\n"u8.ToArray());

        await Loopback.AssertResetAsync(client);
        await rig.WaitUntilAsync(() => rig.Counters.Active == 0, "the connection to close");
        Assert.Equal(1, rig.Counters.HeaderInvalid);
        Assert.Equal(1, rig.Counters.HeaderParseErrors(ProxyParseError.NotProxyProtocol));
        Assert.True(rig.Logged(101, "invalid PROXY header: " + ProxyParseError.NotProxyProtocol.ToMessage()), rig.Logs.Dump());
        rig.AssertNoUpstreamConnection();
    }

    [Fact]
    public async Task A_v2_header_declared_larger_than_the_limit_is_rejected_at_once()
    {
        await using var rig = TcpLoopRig.Start(o => o.MaxHeaderSize = 256);
        byte[] header = V2Header(IPEndPoint.Parse("127.0.0.44:1"), tlvBytes: 300);
        using Socket client = await rig.ConnectAsync();
        await Loopback.SendAllAsync(client, header.AsMemory(0, 16));

        await Loopback.AssertResetAsync(client);
        await rig.WaitUntilAsync(() => rig.Counters.Active == 0, "the connection to close");
        Assert.Equal(1, rig.Counters.HeaderInvalid);
        Assert.Equal(1, rig.Counters.HeaderParseErrors(ProxyParseError.V2HeaderTooLarge));
        Assert.True(rig.Logged(101, ProxyParseError.V2HeaderTooLarge.ToMessage()), rig.Logs.Dump());
        rig.AssertNoUpstreamConnection();
    }

    [Fact]
    public async Task A_header_not_complete_within_the_limit_is_rejected_without_reading_past_it()
    {
        // A v1 line may be 107 bytes; with a 64-byte limit the first 64 decide.
        await using var rig = TcpLoopRig.Start(o => o.MaxHeaderSize = 64);
        using Socket client = await rig.ConnectAsync();
        await Loopback.SendAllAsync(client, "PROXY TCP6 2001:db8:1111:2222:3333:4444:5555:6666 2001:db8:7777:8888:9999:aaaa:bbbb:cccc 1 2\r\n"u8.ToArray());

        await Loopback.AssertResetAsync(client);
        await rig.WaitUntilAsync(() => rig.Counters.Active == 0, "the connection to close");
        Assert.Equal(1, rig.Counters.HeaderInvalid);
        Assert.Equal(1, rig.Counters.HeaderTooLarge);
        Assert.True(rig.Logged(101, "no complete header within the first 64 bytes"), rig.Logs.Dump());
        rig.AssertNoUpstreamConnection();
    }

    [Theory]
    [InlineData("")]
    [InlineData("PRO")]
    public async Task A_connection_closed_before_the_header_is_counted_as_incomplete(string sent)
    {
        await using var rig = TcpLoopRig.Start();
        using (Socket client = await rig.ConnectAsync())
        {
            await Loopback.SendAllAsync(client, Encoding.ASCII.GetBytes(sent));
            client.Shutdown(SocketShutdown.Send);

            // A plain close: health checks that just connect are not reset.
            Assert.Empty(await Loopback.ReadToEndAsync(client));
        }

        await rig.WaitUntilAsync(() => rig.Counters.Active == 0, "the connection to close");
        Assert.Equal(1, rig.Counters.HeaderIncomplete);
        Assert.Equal(1, rig.Counters.HeaderInvalid);
        Assert.True(rig.Logged(103, $"({sent.Length} byte(s) received)"), rig.Logs.Dump());
        rig.AssertNoUpstreamConnection();
    }

    [Fact]
    public async Task A_reset_before_the_header_is_counted_as_incomplete()
    {
        await using var rig = TcpLoopRig.Start();
        Socket client = await rig.ConnectAsync();
        await Loopback.SendAllAsync(client, "PROXY"u8.ToArray());
        await rig.SettleAsync();
        Loopback.Reset(client);

        await rig.WaitUntilAsync(() => rig.Counters.Active == 0, "the connection to close");
        Assert.Equal(1, rig.Counters.HeaderIncomplete);
        Assert.True(rig.Logged(103, "(5 byte(s) received)"), rig.Logs.Dump());
        rig.AssertNoUpstreamConnection();
    }
}
