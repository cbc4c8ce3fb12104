using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MmProxy.EndToEnd.Tests.Udp;

/// <summary>Flow expiry at -close-after, the --max-udp-flows bound, and an unreachable upstream that comes back.</summary>
public sealed class UdpFlowLifecycleTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(5);

    private static IPEndPoint ClientV4(int n) => new(IPAddress.Parse($"203.0.113.{n}"), 30000 + n);

    private static async Task RoundTripAsync(UdpClientSession session, string text)
    {
        await session.SendAsync(Encoding.ASCII.GetBytes(text));
        byte[]? reply = await session.ReceiveAsync(ReplyTimeout);
        Assert.True(reply is not null, $"no reply to '{text}' from {session.Client}");
        Assert.Equal($"{session.Client}|{text}", Encoding.ASCII.GetString(reply));
    }

    [Fact]
    public Task Idle_flow_closes_at_close_after_and_a_new_one_is_created_after() => UdpE2E.RunAsync(async (net, udp) =>
    {
        UdpUpstream upstream = udp.StartUpstream();
        BackgroundProcess proxy = await net.StartUdpProxyAsync("-close-after", "1");
        using var session = udp.Own(new UdpClientSession(net, new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort), ClientV4(1)));

        await RoundTripAsync(session, "one");
        var idle = Stopwatch.StartNew();
        Assert.Equal(1, await net.CountUdpFlowSocketsAsync());
        await Eventually.UntilAsync(async () => await net.CountUdpFlowSocketsAsync() == 0, () => "the flow's upstream socket closes", TimeSpan.FromSeconds(5));
        idle.Stop();
        await ProcessLog.WaitForAsync(proxy, "UDP flow expired");
        long loggedIdle = long.Parse(ProcessLog.Matches(proxy, @"UDP flow expired after (\d+) ms idle")[0], CultureInfo.InvariantCulture);
        output.WriteLine($"socket gone {idle.ElapsedMilliseconds} ms after the reply; logged idle {loggedIdle} ms");
        // Exactly close-after (timer granularity aside), not up to 2x as with a periodic sweep.
        Assert.InRange(loggedIdle, 1000, 1100);
        Assert.InRange(idle.ElapsedMilliseconds, 900, 1600);

        await RoundTripAsync(session, "two");
        // The log is written asynchronously: the reply can arrive before the line does.
        await ProcessLog.WaitForAsync(proxy, "UDP flow created", count: 2);
        Assert.Equal(2, ProcessLog.Count(proxy, "UDP flow created"));
        Assert.Equal([session.Client], upstream.Sources);
    });

    [Fact]
    public Task Traffic_keeps_a_flow_open_past_close_after() => UdpE2E.RunAsync(async (net, udp) =>
    {
        udp.StartUpstream();
        BackgroundProcess proxy = await net.StartUdpProxyAsync("-close-after", "1");
        using var session = udp.Own(new UdpClientSession(net, new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort), ClientV4(1)));
        var clock = Stopwatch.StartNew();
        int i = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(2.5))
        {
            await RoundTripAsync(session, "keepalive " + i++);
            await Pace.WaitAsync(300);
        }
        Assert.Equal(1, ProcessLog.Count(proxy, "UDP flow created"));
        Assert.Equal(0, ProcessLog.Count(proxy, "UDP flow expired"));
    });

    [Fact]
    public Task Full_table_drops_new_clients_until_a_flow_expires() => UdpE2E.RunAsync(async (net, udp) =>
    {
        UdpUpstream upstream = udp.StartUpstream();
        BackgroundProcess proxy = await net.StartUdpProxyAsync("-close-after", "2", "--max-udp-flows", "2");
        var proxyEndPoint = new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort);
        using var a = udp.Own(new UdpClientSession(net, proxyEndPoint, ClientV4(1)));
        using var b = udp.Own(new UdpClientSession(net, proxyEndPoint, ClientV4(2)));
        using var c = udp.Own(new UdpClientSession(net, proxyEndPoint, ClientV4(3)));
        await RoundTripAsync(a, "a1");
        await RoundTripAsync(b, "b1");

        await c.SendAsync(Encoding.ASCII.GetBytes("c1"));
        await ProcessLog.WaitForAsync(proxy, "the flow table is full");
        Assert.Null(await c.ReceiveAsync(TimeSpan.FromMilliseconds(300)));
        Assert.DoesNotContain(c.Client, upstream.Sources);

        // Existing flows are not evicted.
        await RoundTripAsync(a, "a2");
        await RoundTripAsync(b, "b2");
        Assert.Equal(2, await net.CountUdpFlowSocketsAsync());

        // Room again once they expire.
        await ProcessLog.WaitForAsync(proxy, "UDP flow expired", 2, TimeSpan.FromSeconds(6));
        await RoundTripAsync(c, "c2");
        Assert.Contains(c.Client, upstream.Sources);
    });

    [Fact]
    public Task Unreachable_upstream_then_recovery_on_the_same_flow() => UdpE2E.RunAsync(async (net, udp) =>
    {
        BackgroundProcess proxy = await net.StartUdpProxyAsync("-close-after", "30");
        using var session = udp.Own(new UdpClientSession(net, new IPEndPoint(net.ServerV6, TestNetwork.ProxyPort),
            new IPEndPoint(IPAddress.Parse("2001:db8:ffff:9::1"), 30001)));

        // Nothing listens on the target: ICMP port unreachable comes back to the flow's socket.
        for (int i = 0; i < 3; i++)
        {
            await session.SendAsync(Encoding.ASCII.GetBytes("void " + i));
        }
        await ProcessLog.WaitForAsync(proxy, "unreachable for client");
        Assert.Null(await session.ReceiveAsync(TimeSpan.FromMilliseconds(200)));

        UdpUpstream upstream = udp.StartUpstream();
        await RoundTripAsync(session, "after");
        await RoundTripAsync(session, "again");
        Assert.Equal(1, ProcessLog.Count(proxy, "UDP flow created"));
        Assert.Equal([session.Client], upstream.Sources);
        Assert.False(proxy.HasExited);
    });

    [Fact]
    public Task Blocked_flow_does_not_stall_others() => UdpE2E.RunAsync(async (net, udp) =>
    {
        // IPv4 clients go to a socket that never reads (its buffer overflows); IPv6 clients to the echo upstream.
        const int StuckPort = TestNetwork.UpstreamPort + 1;
        using Socket stuck = udp.Own(TestNetwork.CreateUdpSocket(net.ServerNs, new IPEndPoint(IPAddress.Loopback, StuckPort)));
        UdpUpstream upstream = udp.StartUpstream();
        BackgroundProcess proxy = await net.StartUdpProxyAsync("-close-after", "30", "-4", "127.0.0.1:" + StuckPort);
        using var flood = udp.Own(new UdpClientSession(net, new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort), ClientV4(1)));
        using var quiet = udp.Own(new UdpClientSession(net, new IPEndPoint(net.ServerV4, TestNetwork.ProxyPort),
            new IPEndPoint(IPAddress.Parse("2001:db8:ffff:9::2"), 30002)));
        byte[] big = new byte[1200];
        using var stop = new CancellationTokenSource();
        int flooded = 0;
        Task flooding = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await flood.SendAsync(big);
                flooded++;
            }
        });
        try
        {
            await ProcessLog.WaitForAsync(proxy, "UDP flow created");
            for (int i = 0; i < 50; i++)
            {
                await RoundTripAsync(quiet, "still here " + i);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await flooding;
        }
        output.WriteLine($"{flooded} datagrams flooded towards a socket that never reads while 50 round trips completed");
        Assert.True(stuck.Available > 0, "the stuck socket received nothing: the flood did not reach it");
        Assert.False(proxy.HasExited);
        Assert.Equal(50, upstream.Count);
    });
}
