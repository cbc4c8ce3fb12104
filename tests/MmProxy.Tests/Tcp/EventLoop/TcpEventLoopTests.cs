using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using MmProxy.Configuration;
using MmProxy.ProxyProtocol;
using MmProxy.Tests.TestSupport;

namespace MmProxy.Tests.Tcp.EventLoop;

/// <summary>
/// The native event loop engine end to end on 127.0.0.x with transparent upstream sockets (needs
/// root, fails loudly otherwise): transfer, half-close and reset both ways, header and connect
/// failures, timeouts. Counters and log events are the socket engine's.
/// </summary>
public sealed class TcpEventLoopTests : IDisposable
{
    private readonly Socket _upstream;
    private readonly IPEndPoint _upstreamEndPoint;

    public TcpEventLoopTests()
    {
        _upstream = Loopback.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        _upstreamEndPoint = (IPEndPoint)_upstream.LocalEndPoint!;
    }

    public void Dispose() => _upstream.Dispose();

    private ProxyOptions Options(Action<ProxyOptionsBuilder>? configure = null)
    {
        var builder = new ProxyOptionsBuilder { TargetV4 = _upstreamEndPoint };
        configure?.Invoke(builder);
        return builder.Build();
    }

    private static async Task<Socket> ConnectAsync(IPEndPoint proxy)
    {
        var socket = new Socket(proxy.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(proxy).WaitAsync(Loopback.Deadline);
        return socket;
    }

    /// <summary>A proxied pair: the client's socket and the upstream's accepted socket.</summary>
    private async Task<(Socket Client, Socket Server)> OpenAsync(LoopProxy proxy, string source, int port, string early = "")
    {
        Socket client = await ConnectAsync(proxy.EndPoint);
        await Loopback.SendAllAsync(client, Encoding.ASCII.GetBytes($"PROXY TCP4 {source} 127.0.0.1 {port} 443\r\n{early}"));
        Socket server = await _upstream.AcceptAsync().WaitAsync(Loopback.Deadline);
        return (client, server);
    }

    [Fact]
    public async Task Large_transfers_arrive_byte_exact_both_ways_from_the_exact_client_address()
    {
        await using var proxy = LoopProxy.Start(Options());
        byte[] up = RandomNumberGenerator.GetBytes(8 * 1024 * 1024 + 17);
        byte[] down = RandomNumberGenerator.GetBytes(6 * 1024 * 1024 + 5);
        (Socket client, Socket server) = await OpenAsync(proxy, "127.0.0.81", 40201, "early");
        using (client)
        using (server)
        {
            Assert.Equal(IPEndPoint.Parse("127.0.0.81:40201"), server.RemoteEndPoint);
            Assert.Equal("early", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(server, 5)));

            Task<byte[]> serverReads = Loopback.ReadToEndAsync(server);
            Task<byte[]> clientReads = Loopback.ReadToEndAsync(client);
            Task clientWrites = Task.Run(async () => { await Loopback.SendAllAsync(client, up); client.Shutdown(SocketShutdown.Send); });
            Task serverWrites = Task.Run(async () => { await Loopback.SendAllAsync(server, down); server.Shutdown(SocketShutdown.Send); });
            await Task.WhenAll(clientWrites, serverWrites).WaitAsync(TimeSpan.FromSeconds(60));

            Assert.Equal(up, await serverReads.WaitAsync(Loopback.Deadline));
            Assert.Equal(down, await clientReads.WaitAsync(Loopback.Deadline));
        }

        await InProcessProxy.WaitUntilAsync(() => proxy.Counters.Completed == 1 && proxy.Counters.Active == 0, "the connection to complete");
        Assert.Equal(up.Length + 5, proxy.Counters.BytesToUpstream);
        Assert.Equal(down.Length, proxy.Counters.BytesToClient);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_client_port_is_kept_whether_reserved_at_connect_or_bound(bool boundElsewhere)
    {
        // A port some socket bind()s (here on another address) cannot be reserved at connect: the
        // loop then binds it, and the upstream still sees the client's exact port.
        string[] range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        int port = (int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture)
            + int.Parse(range[1], System.Globalization.CultureInfo.InvariantCulture)) / 2 + (boundElsewhere ? 31 : 32);
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (boundElsewhere)
        {
            holder.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.86"), port));
        }

        await using var proxy = LoopProxy.Start(Options());
        (Socket client, Socket server) = await OpenAsync(proxy, "127.0.0.85", port);
        using (client)
        using (server)
        {
            Assert.Equal(new IPEndPoint(IPAddress.Parse("127.0.0.85"), port), server.RemoteEndPoint);
        }
    }

    [Fact]
    public async Task A_slow_reader_gets_every_byte_without_the_proxy_losing_any()
    {
        await using var proxy = LoopProxy.Start(Options());
        (Socket client, Socket server) = await OpenAsync(proxy, "127.0.0.82", 40202);
        using (client)
        using (server)
        {
            // More than the socket buffers on the way can hold (loopback autotuning: several MiB each).
            byte[] up = RandomNumberGenerator.GetBytes(48 * 1024 * 1024 + 3);
            Task clientWrites = Task.Run(async () => { await Loopback.SendAllAsync(client, up); client.Shutdown(SocketShutdown.Send); });

            // The server does not read for a while: the proxy must park bytes and wait for room.
            await Task.Delay(300);
            Assert.False(clientWrites.IsCompleted, "the client should be held back by backpressure");
            Assert.Equal(up, await Loopback.ReadToEndAsync(server).WaitAsync(Loopback.Deadline));
            await clientWrites.WaitAsync(Loopback.Deadline);
        }
    }

    [Fact]
    public async Task Client_half_close_passes_fin_on_and_the_upstream_can_still_answer()
    {
        await using var proxy = LoopProxy.Start(Options());
        (Socket client, Socket server) = await OpenAsync(proxy, "127.0.0.83", 40203, "request");
        using (client)
        using (server)
        {
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal("request", Encoding.ASCII.GetString(await Loopback.ReadToEndAsync(server)));

            await Loopback.SendAllAsync(server, "response"u8.ToArray());
            server.Shutdown(SocketShutdown.Send);
            Assert.Equal("response", Encoding.ASCII.GetString(await Loopback.ReadToEndAsync(client)));
        }

        await InProcessProxy.WaitUntilAsync(() => proxy.Counters.Completed == 1, "the connection to complete");
        Assert.Equal(0, proxy.Counters.Reset);
    }

    [Fact]
    public async Task Upstream_half_close_passes_fin_on_and_the_client_can_still_send()
    {
        await using var proxy = LoopProxy.Start(Options());
        (Socket client, Socket server) = await OpenAsync(proxy, "127.0.0.84", 40204);
        using (client)
        using (server)
        {
            await Loopback.SendAllAsync(server, "banner"u8.ToArray());
            server.Shutdown(SocketShutdown.Send);
            Assert.Equal("banner", Encoding.ASCII.GetString(await Loopback.ReadToEndAsync(client)));

            await Loopback.SendAllAsync(client, "late"u8.ToArray());
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal("late", Encoding.ASCII.GetString(await Loopback.ReadToEndAsync(server)));
        }

        await InProcessProxy.WaitUntilAsync(() => proxy.Counters.Completed == 1, "the connection to complete");
    }

    [Fact]
    public async Task A_client_reset_resets_the_upstream_and_is_logged_as_the_clients()
    {
        await using var proxy = LoopProxy.Start(Options());
        (Socket client, Socket server) = await OpenAsync(proxy, "127.0.0.85", 40205, "x");
        using (server)
        {
            Assert.Equal("x", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(server, 1)));
            Loopback.Reset(client);
            await Loopback.AssertResetAsync(server);
        }

        // Counted before it is logged: wait for the log line.
        await InProcessProxy.WaitUntilAsync(() => proxy.Logs.Events.Any(e => e.EventId.Id == 106 && e.Message.Contains("reset by the client", StringComparison.Ordinal)), "the client's reset to be logged");
        Assert.Equal(1, proxy.Counters.Reset);
    }

    [Fact]
    public async Task An_upstream_reset_resets_the_client_and_is_logged_as_the_upstreams()
    {
        await using var proxy = LoopProxy.Start(Options());
        (Socket client, Socket server) = await OpenAsync(proxy, "127.0.0.86", 40206, "x");
        using (client)
        {
            // Once a byte came through, the relay runs (a reset before that is a failed connect).
            Assert.Equal("x", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(server, 1)));
            Loopback.Reset(server);
            await Loopback.AssertResetAsync(client);
        }

        await InProcessProxy.WaitUntilAsync(() => proxy.Logs.Events.Any(e => e.EventId.Id == 106 && e.Message.Contains("reset by the upstream", StringComparison.Ordinal)), "the upstream's reset to be logged");
        Assert.Equal(1, proxy.Counters.Reset);
    }

    [Fact]
    public async Task A_reset_after_the_upstream_sent_fin_still_resets_the_client()
    {
        await using var proxy = LoopProxy.Start(Options());
        (Socket client, Socket server) = await OpenAsync(proxy, "127.0.0.87", 40207);
        using (server)
        {
            server.Shutdown(SocketShutdown.Send);
            Assert.Empty(await Loopback.ReadToEndAsync(client));
            Loopback.Reset(client);
            await Loopback.AssertResetAsync(server);
        }

        await InProcessProxy.WaitUntilAsync(() => proxy.Counters.Reset == 1, "the reset to be counted");
    }

    [Fact]
    public async Task A_header_in_pieces_with_leftover_is_forwarded_leftover_first()
    {
        await using var proxy = LoopProxy.Start(Options());
        byte[] header = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Tcp4,
            ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("127.0.0.88:40208")), ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("127.0.0.1:443")));
        byte[] first = [.. header, .. "early"u8.ToArray()];
        using Socket client = await ConnectAsync(proxy.EndPoint);
        for (int i = 0; i < 10; i++)
        {
            await Loopback.SendAllAsync(client, first.AsMemory(i, 1));
            await Task.Delay(5);
        }

        await Loopback.SendAllAsync(client, first.AsMemory(10));
        using Socket server = await _upstream.AcceptAsync().WaitAsync(Loopback.Deadline);
        Assert.Equal(IPEndPoint.Parse("127.0.0.88:40208"), server.RemoteEndPoint);
        await Loopback.SendAllAsync(client, "+late"u8.ToArray());
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal("early+late", Encoding.ASCII.GetString(await Loopback.ReadToEndAsync(server)));
    }

    [Fact]
    public async Task An_invalid_header_is_reset_counted_and_logged()
    {
        await using var proxy = LoopProxy.Start(Options());
        using Socket client = await ConnectAsync(proxy.EndPoint);
        await Loopback.SendAllAsync(client, "GET / HTTP/1.1\r\n\r\n"u8.ToArray());

        await Loopback.AssertResetAsync(client);
        await InProcessProxy.WaitUntilAsync(() => proxy.Logs.Has(101), "the invalid header to be logged");
        Assert.Equal(1, proxy.Counters.HeaderInvalid);
    }

    [Fact]
    public async Task A_large_header_in_many_pieces_grows_its_buffer_and_keeps_the_leftover()
    {
        await using var proxy = LoopProxy.Start(Options());
        byte[] header = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Tcp4,
            ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("127.0.0.89:40209")), ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("127.0.0.1:443")),
            [new ProxyTlv(ProxyTlvType.Noop, new byte[3000])]);
        byte[] first = [.. header, .. "tail"u8.ToArray()];
        using Socket client = await ConnectAsync(proxy.EndPoint);
        for (int offset = 0; offset < first.Length; offset += 700)
        {
            await Loopback.SendAllAsync(client, first.AsMemory(offset, Math.Min(700, first.Length - offset)));
            await Task.Delay(5);
        }

        using Socket server = await _upstream.AcceptAsync().WaitAsync(Loopback.Deadline);
        Assert.Equal(IPEndPoint.Parse("127.0.0.89:40209"), server.RemoteEndPoint);
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal("tail", Encoding.ASCII.GetString(await Loopback.ReadToEndAsync(server)));
    }

    [Fact]
    public async Task A_header_longer_than_the_limit_is_rejected()
    {
        await using var proxy = LoopProxy.Start(Options(o => o.MaxHeaderSize = 256));
        byte[] header = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, ProxyFamily.Tcp4,
            ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("127.0.0.93:1")), ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("127.0.0.1:443")),
            [new ProxyTlv(ProxyTlvType.Noop, new byte[300])]);
        using Socket client = await ConnectAsync(proxy.EndPoint);
        await Loopback.SendAllAsync(client, header.AsMemory(0, 16));

        await Loopback.AssertResetAsync(client);
        await InProcessProxy.WaitUntilAsync(() => proxy.Logs.Has(101), "the rejection to be logged");
        Assert.Equal(1, proxy.Counters.HeaderInvalid);
    }

    [Fact]
    public async Task A_silent_connection_is_reset_after_the_header_timeout()
    {
        await using var proxy = LoopProxy.Start(Options(o => o.HeaderTimeout = TimeSpan.FromMilliseconds(500)));
        using Socket client = await ConnectAsync(proxy.EndPoint);
        await Loopback.SendAllAsync(client, "PROXY TCP4"u8.ToArray());

        await Loopback.AssertResetAsync(client);
        await InProcessProxy.WaitUntilAsync(() => proxy.Logs.Has(102), "the timeout to be logged");
        Assert.Equal(1, proxy.Counters.HeaderTimedOut);
        Assert.Contains(proxy.Logs.Events, e => e.EventId.Id == 102 && e.Message.Contains("(10 byte(s) received)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_connection_closed_before_the_header_is_counted_as_incomplete()
    {
        await using var proxy = LoopProxy.Start(Options());
        using (Socket client = await ConnectAsync(proxy.EndPoint))
        {
            await Loopback.SendAllAsync(client, "PRO"u8.ToArray());
            client.Shutdown(SocketShutdown.Send);
            Assert.Empty(await Loopback.ReadToEndAsync(client));
        }

        await InProcessProxy.WaitUntilAsync(() => proxy.Logs.Has(103), "the incomplete header to be logged");
        Assert.Equal(1, proxy.Counters.HeaderIncomplete);
    }

    [Fact]
    public async Task Connect_refused_resets_the_client_and_names_the_target()
    {
        IPEndPoint closed;
        using (Socket probe = Loopback.Listen(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            closed = (IPEndPoint)probe.LocalEndPoint!;
        }

        await using var proxy = LoopProxy.Start(Options(o => o.TargetV4 = closed));
        using Socket client = await ConnectAsync(proxy.EndPoint);
        await Loopback.SendAllAsync(client, "PROXY TCP4 127.0.0.90 127.0.0.1 40210 443\r\nhi"u8.ToArray());

        await Loopback.AssertResetAsync(client);
        await InProcessProxy.WaitUntilAsync(() => proxy.Logs.Events.Any(e => e.EventId.Id == 104 && e.Message.Contains($"nothing listens on {closed}", StringComparison.Ordinal)), "the refusal to be logged");
        Assert.Equal(1, proxy.Counters.UpstreamRefused);
        Assert.Equal(1, proxy.Counters.UpstreamFailed);
    }

    [Fact]
    public async Task An_idle_connection_is_reset_on_both_sides_after_the_idle_timeout()
    {
        await using var proxy = LoopProxy.Start(Options(o => o.IdleTimeout = TimeSpan.FromMilliseconds(1000)));
        (Socket client, Socket server) = await OpenAsync(proxy, "127.0.0.91", 40211);
        using (client)
        using (server)
        {
            // Activity keeps it open past one timeout.
            for (int i = 0; i < 8; i++)
            {
                await Task.Delay(200);
                await Loopback.SendAllAsync(client, "k"u8.ToArray());
                Assert.Equal("k", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(server, 1)));
            }

            Assert.Equal(1, proxy.Counters.Active);
            await Loopback.AssertResetAsync(client);
            await Loopback.AssertResetAsync(server);
        }

        await InProcessProxy.WaitUntilAsync(() => proxy.Logs.Has(108), "the idle timeout to be logged");
        Assert.Equal(0, proxy.Counters.Reset);
    }

    [Fact]
    public async Task A_client_outside_the_allowed_subnets_is_reset_before_any_read()
    {
        await using var proxy = LoopProxy.Start(Options(), AllowedSubnets.Create([IPNetwork.Parse("10.0.0.0/8")]));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // On loopback the reset can beat connect()'s own completion check.
            await client.ConnectAsync(proxy.EndPoint).WaitAsync(Loopback.Deadline);
            await Loopback.AssertResetAsync(client);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
        }

        await InProcessProxy.WaitUntilAsync(() => proxy.Logs.Has(100), "the rejection to be logged");
        Assert.Equal(1, proxy.Counters.NotAllowed);
    }

    [Fact]
    public async Task Connections_open_when_the_listener_stops_run_to_their_end()
    {
        var proxy = LoopProxy.Start(Options());
        (Socket client, Socket server) = await OpenAsync(proxy, "127.0.0.92", 40212);
        using (client)
        using (server)
        {
            await proxy.DisposeAsync();
            await Loopback.SendAllAsync(client, "still"u8.ToArray());
            Assert.Equal("still", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(server, 5)));
            client.Shutdown(SocketShutdown.Send);
            server.Shutdown(SocketShutdown.Send);
            Assert.Empty(await Loopback.ReadToEndAsync(client));
        }

        await InProcessProxy.WaitUntilAsync(() => proxy.Counters.Completed == 1 && proxy.Counters.Active == 0, "the connection to complete");
    }
}
