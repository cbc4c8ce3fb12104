using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using MmProxy.Configuration;
using MmProxy.ProxyProtocol;
using MmProxy.Udp;

namespace MmProxy.Tests.Udp;

/// <summary>
/// --udp-header v2-first (Cloudflare Spectrum): the header opens a session of the load balancer
/// endpoint, later datagrams from it carry no header. LOCAL headers (unspoofed) where the client
/// does not matter; spoofed clients need root (fail, never skip, without it).
/// </summary>
public sealed class UdpV2FirstTests
{
    private static readonly TimeSpan CloseAfter = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    [Fact]
    public async Task Standalone_header_opens_the_session_forwards_nothing_and_later_plain_datagrams_use_it()
    {
        await using var rig = UdpLoopRig.Start(header: UdpHeaderFormat.V2First);
        Socket balancer = rig.NewBalancer();
        balancer.SendTo(UdpLoopRig.Local(string.Empty), rig.EndPoint);
        await rig.UntilAsync(() => rig.Counters.FlowsCreated == 1, "the session");
        Assert.Equal(0, rig.Counters.Forwarded);

        SendPlain(rig, balancer, "first");
        (string text, IPEndPoint flow) = await rig.ReceiveUpstreamAsync();
        Assert.Equal("first", text);
        SendPlain(rig, balancer, "second");
        Assert.Equal(("second", flow), await rig.ReceiveUpstreamAsync());

        // Replies are plain payload.
        LoopbackUdp.SendText(rig.Upstream, "back", flow);
        Assert.Equal(("back", rig.EndPoint), await LoopbackUdp.ReceiveTextAsync(balancer));
        await rig.SyncAsync();
        Assert.Equal(1, rig.Counters.FlowsCreated);
        Assert.Equal(2, rig.Counters.Forwarded);
        Assert.Equal(0, rig.Counters.DroppedTotal);
        Assert.Equal(3, rig.Counters.ReceivedBy(UdpHeaderFormat.V2First));
    }

    [Fact]
    public async Task Header_with_payload_is_forwarded_and_opens_the_session()
    {
        await using var rig = UdpLoopRig.Start(header: UdpHeaderFormat.V2First);
        Socket balancer = rig.NewBalancer();
        rig.Send(balancer, "with-header");
        (string text, IPEndPoint flow) = await rig.ReceiveUpstreamAsync();
        Assert.Equal("with-header", text);
        SendPlain(rig, balancer, "plain");
        Assert.Equal(("plain", flow), await rig.ReceiveUpstreamAsync());
    }

    [Fact]
    public async Task Plain_datagram_from_an_endpoint_without_a_session_is_dropped_and_counted()
    {
        await using var rig = UdpLoopRig.Start(header: UdpHeaderFormat.V2First);
        Socket stranger = rig.NewBalancer();
        SendPlain(rig, stranger, "who am I");

        // Text that looks like v1, or a prefix of the v2 signature, is payload too: still no session.
        stranger.SendTo(Encoding.ASCII.GetBytes("PROXY UDP4 192.0.2.1 192.0.2.2 1 2\r\n"), rig.EndPoint);
        stranger.SendTo(new byte[] { 0x0D, 0x0A, 0x0D, 0x0A }, rig.EndPoint);
        await rig.UntilAsync(() => rig.Counters.Dropped(UdpDropReason.NoSession) == 3, "three drops");
        Assert.Equal(0, rig.Counters.FlowsCreated);
        Assert.Equal(0, rig.Counters.Forwarded);
        Assert.Contains(rig.Logs.Events, e => e.Message.Contains("no v2-first session", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Invalid_header_after_the_signature_is_dropped_not_forwarded_as_payload()
    {
        await using var rig = UdpLoopRig.Start(header: UdpHeaderFormat.V2First);
        Socket balancer = rig.NewBalancer();
        byte[] bad = UdpLoopRig.Local("x");
        bad[12] = 0x31; // version 3
        balancer.SendTo(bad, rig.EndPoint);
        await rig.UntilAsync(() => rig.Counters.Dropped(UdpDropReason.InvalidHeader) == 1, "the drop");
        Assert.Equal(0, rig.Counters.FlowsCreated);
    }

    [Fact]
    public async Task Session_expires_close_after_its_last_datagram_and_then_plain_datagrams_are_dropped()
    {
        var time = new FakeTimeProvider();
        await using var rig = UdpLoopRig.Start(time, CloseAfter, header: UdpHeaderFormat.V2First);
        Socket balancer = rig.NewBalancer();
        rig.Send(balancer, "a");
        await rig.ReceiveUpstreamAsync();

        time.Advance(CloseAfter - Tick);
        await rig.SyncAsync();
        SendPlain(rig, balancer, "b");
        Assert.Equal("b", (await rig.ReceiveUpstreamAsync()).Text);

        time.Advance(CloseAfter);
        await rig.SyncAsync();
        Assert.Equal(1, rig.Counters.FlowsExpired);
        Assert.Equal(0, rig.Loop.FlowCount);
        Assert.Equal(0, rig.Listener.FlowLimit!.Count);

        SendPlain(rig, balancer, "c");
        await rig.UntilAsync(() => rig.Counters.Dropped(UdpDropReason.NoSession) == 1, "the drop after expiry");
        Assert.Equal(2, rig.Counters.Forwarded);
    }

    [Fact]
    public async Task Sessions_count_against_the_flow_bound()
    {
        await using var rig = UdpLoopRig.Start(maxFlows: 1, header: UdpHeaderFormat.V2First);
        rig.Send(rig.NewBalancer(), "one");
        await rig.ReceiveUpstreamAsync();
        rig.Send(rig.NewBalancer(), "two");
        await rig.UntilAsync(() => rig.Counters.Dropped(UdpDropReason.TableFull) == 1, "the second session refused");
        Assert.Equal(1, rig.Loop.FlowCount);
    }

    /// <summary>Needs root (IP_TRANSPARENT for the spoofed clients).</summary>
    [Fact]
    public async Task New_header_from_the_same_endpoint_retargets_the_session_to_the_client_it_names()
    {
        await using var rig = UdpLoopRig.Start(header: UdpHeaderFormat.V2First);
        Socket balancer = rig.NewBalancer();
        IPEndPoint first = Client("127.0.0.7");
        IPEndPoint second = Client("127.0.0.8");

        balancer.SendTo(rig.Proxy(first, "hello"), rig.EndPoint);
        Assert.Equal(("hello", first), await ReceiveSpoofedAsync(rig));
        SendPlain(rig, balancer, "more");
        Assert.Equal(("more", first), await rig.ReceiveUpstreamAsync());

        balancer.SendTo(rig.Proxy(second, "moved"), rig.EndPoint);
        Assert.Equal(("moved", second), await rig.ReceiveUpstreamAsync());
        SendPlain(rig, balancer, "after");
        Assert.Equal(("after", second), await rig.ReceiveUpstreamAsync());

        await rig.SyncAsync();
        Assert.Equal(2, rig.Counters.FlowsCreated);
        Assert.Equal(1, rig.Loop.FlowCount);
        Assert.Equal(1, rig.Listener.FlowLimit!.Count);
        Assert.False(LoopbackUdp.IsInUse(first), "the first client's flow socket is still open");
    }

    /// <summary>Needs root. One receive batch: the old session's datagrams, then a header re-targeting it.</summary>
    [Fact]
    public async Task Datagrams_before_a_retargeting_header_in_one_batch_still_leave_as_the_old_client()
    {
        await using var rig = UdpLoopRig.Start(header: UdpHeaderFormat.V2First);
        Socket balancer = rig.NewBalancer();
        IPEndPoint second = Client("127.0.0.8");
        rig.Send(balancer, "open");
        (_, IPEndPoint local) = await rig.ReceiveUpstreamAsync();

        using var gate = new ManualResetEventSlim();
        Task held = rig.Loop.RunOnLoopAsync(gate.Wait);
        SendPlain(rig, balancer, "old-1");
        SendPlain(rig, balancer, "old-2");
        balancer.SendTo(rig.Proxy(second, "moved"), rig.EndPoint); // loopback: queued on the listener when sendto returns
        gate.Set();
        await held;

        Assert.Equal(("old-1", local), await rig.ReceiveUpstreamAsync());
        Assert.Equal(("old-2", local), await rig.ReceiveUpstreamAsync());
        Assert.Equal(("moved", second), await rig.ReceiveUpstreamAsync());
    }

    private static void SendPlain(UdpLoopRig rig, Socket balancer, string payload) => LoopbackUdp.SendText(balancer, payload, rig.EndPoint);

    private static IPEndPoint Client(string address)
    {
        var ip = IPAddress.Parse(address);
        return new IPEndPoint(ip, LoopbackUdp.FreePort(ip));
    }

    private static async Task<(string Text, IPEndPoint From)> ReceiveSpoofedAsync(UdpLoopRig rig)
    {
        Task<(string Text, IPEndPoint From)> upstream = rig.ReceiveUpstreamAsync();
        await rig.UntilAsync(() => rig.Counters.FlowsCreated + rig.Counters.DroppedTotal > 0, "the first datagram");
        if (rig.Counters.Dropped(UdpDropReason.FlowSetupFailed) != 0)
        {
            Assert.Fail("the spoofed flow could not be opened (IP_TRANSPARENT needs root): " + rig.Describe());
        }

        return await upstream;
    }
}
