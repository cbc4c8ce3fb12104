using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Udp;

/// <summary>
/// --udp-header v2-first, driven as Cloudflare Spectrum (and frp) send it: a PROXY v2 header on the
/// first datagram of a session only (alone, or in front of the first payload), then plain payloads,
/// one balancer socket per client session. The upstream must see every payload, byte for byte, from
/// the client the session's header named; replies go back to that balancer socket as plain payload.
/// </summary>
public sealed class SpectrumV2FirstTests
{
    private const string Format = "v2-first";
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(5);

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    /// <summary>One headerless payload through an open session: what the upstream saw, and the plain "CLIENT|payload" echo back.</summary>
    private static async Task RoundTripAsync(UdpBalancer lb, UdpUpstream upstream, IPEndPoint client, string text, params byte[][] before)
    {
        await lb.SendAsync([.. before, Ascii(text)]);
        UdpDatagramRecord seen = await upstream.NextAsync(ReplyTimeout);
        Assert.Equal(client, seen.Source);
        Assert.Equal(Ascii(text), seen.Payload);
        byte[] reply = await lb.ExpectAsync($"'{text}'", ReplyTimeout);
        Assert.Equal($"{client}|{text}", Encoding.ASCII.GetString(reply));
    }

    [Fact]
    public Task A_standalone_header_opens_the_session_and_plain_payloads_follow() => UdpE2E.RunAsync(async (net, udp) =>
    {
        UdpUpstream upstream = udp.StartUpstream();
        UdpFormatProxy proxy = await UdpFormatProxy.StartAsync(net, Format);
        var client = new IPEndPoint(IPAddress.Parse("203.0.113.21"), 41001);
        using UdpBalancer lb = udp.Own(new UdpBalancer(net, UdpHeaders.Destination(net, AddressFamily.InterNetwork)));

        // The header alone: it opens the session and forwards nothing (no empty datagram upstream).
        await lb.SendAsync(UdpHeaders.V2(net, client));
        foreach (string text in new[] { "one", "two", "three" })
        {
            // The first record the upstream gets is "one": an empty datagram for the header would come first.
            await RoundTripAsync(lb, upstream, client, text);
        }
        Assert.Equal(3, upstream.Count);
        Assert.Equal([client], upstream.Sources);
        string metrics = await proxy.MetricsAsync();
        Assert.Equal(0, UdpFormatProxy.Dropped(metrics, "no_session"));
        Assert.False(proxy.Process.HasExited);
    });

    [Fact]
    public Task A_header_in_front_of_the_first_payload_then_plain_payloads() => UdpE2E.RunAsync(async (net, udp) =>
    {
        UdpUpstream upstream = udp.StartUpstream(UdpUpstreamMode.EchoPayload);
        await UdpFormatProxy.StartAsync(net, Format);
        var client = new IPEndPoint(IPAddress.Parse("2001:db8:ffff:21::5"), 41002);
        using UdpBalancer lb = udp.Own(new UdpBalancer(net, UdpHeaders.Destination(net, AddressFamily.InterNetworkV6)));
        // Binary payloads: every byte must arrive as sent, none of the header in front of the first.
        var random = new Random(21);
        byte[][] payloads = [.. Enumerable.Range(0, 4).Select(i => { byte[] b = new byte[100 + (i * 300)]; random.NextBytes(b); return b; })];

        for (int i = 0; i < payloads.Length; i++)
        {
            await (i == 0 ? lb.SendAsync(UdpHeaders.V2(net, client), payloads[0]) : lb.SendAsync(payloads[i]));
            UdpDatagramRecord seen = await upstream.NextAsync(ReplyTimeout);
            Assert.Equal(client, seen.Source);
            Assert.Equal(payloads[i], seen.Payload);
            Assert.Equal(payloads[i], await lb.ExpectAsync($"payload {i}", ReplyTimeout));
        }
        Assert.Equal(payloads.Length, upstream.Count);
    });

    [Fact]
    public Task Interleaved_sessions_of_two_balancer_endpoints_stay_apart() => UdpE2E.RunAsync(async (net, udp) =>
    {
        UdpUpstream upstream = udp.StartUpstream();
        await UdpFormatProxy.StartAsync(net, Format);
        var clientA = new IPEndPoint(IPAddress.Parse("203.0.113.31"), 42001);
        var clientB = new IPEndPoint(IPAddress.Parse("2001:db8:ffff:31::7"), 42002);
        using UdpBalancer a = udp.Own(new UdpBalancer(net, UdpHeaders.Destination(net, AddressFamily.InterNetwork)));
        using UdpBalancer b = udp.Own(new UdpBalancer(net, UdpHeaders.Destination(net, AddressFamily.InterNetworkV6)));
        await a.SendAsync(UdpHeaders.V2(net, clientA));
        await b.SendAsync(UdpHeaders.V2(net, clientB), Ascii("b0"));
        Assert.Equal($"{clientB}|b0", Encoding.ASCII.GetString(await b.ExpectAsync("b0", ReplyTimeout)));

        // Both in flight at once, alternating: each reply must reach its own balancer socket.
        for (int i = 1; i <= 5; i++)
        {
            await a.SendAsync(Ascii("a" + i));
            await b.SendAsync(Ascii("b" + i));
            Assert.Equal($"{clientA}|a{i}", Encoding.ASCII.GetString(await a.ExpectAsync("a" + i, ReplyTimeout)));
            Assert.Equal($"{clientB}|b{i}", Encoding.ASCII.GetString(await b.ExpectAsync("b" + i, ReplyTimeout)));
        }

        var seen = new List<UdpDatagramRecord>();
        for (int i = 0; i < 11; i++)
        {
            seen.Add(await upstream.NextAsync(ReplyTimeout));
        }
        Assert.Equal(["a1", "a2", "a3", "a4", "a5"], seen.Where(r => r.Source.Equals(clientA)).Select(r => Encoding.ASCII.GetString(r.Payload)));
        Assert.Equal(["b0", "b1", "b2", "b3", "b4", "b5"], seen.Where(r => r.Source.Equals(clientB)).Select(r => Encoding.ASCII.GetString(r.Payload)));
        Assert.Equal(11, upstream.Count);
        Assert.Null(await a.ReceiveAsync(TimeSpan.FromMilliseconds(200)));
        Assert.Null(await b.ReceiveAsync(TimeSpan.FromMilliseconds(200)));
    });

    [Fact]
    public Task A_plain_datagram_from_an_endpoint_without_a_session_is_dropped_and_counted() => UdpE2E.RunAsync(async (net, udp) =>
    {
        UdpUpstream upstream = udp.StartUpstream();
        UdpFormatProxy proxy = await UdpFormatProxy.StartAsync(net, Format);
        IPEndPoint destination = UdpHeaders.Destination(net, AddressFamily.InterNetwork);
        using UdpBalancer stranger = udp.Own(new UdpBalancer(net, destination));
        using UdpBalancer known = udp.Own(new UdpBalancer(net, destination));
        var client = new IPEndPoint(IPAddress.Parse("203.0.113.41"), 43001);

        await stranger.SendAsync(Ascii("orphan 1"));
        await stranger.SendAsync(Ascii("orphan 2"));
        string metrics = await proxy.WaitForDropsAsync("no_session", 2);
        Assert.Equal(2, UdpFormatProxy.Dropped(metrics, "no_session"));

        // A session of another endpoint works, and the orphans were never forwarded before it.
        await RoundTripAsync(known, upstream, client, "known", UdpHeaders.V2(net, client));
        Assert.Equal(1, upstream.Count);
        Assert.Equal([client], upstream.Sources);
        Assert.Null(await stranger.ReceiveAsync(TimeSpan.FromMilliseconds(200)));
        // Another endpoint's session does not make the stranger known.
        await stranger.SendAsync(Ascii("orphan 3"));
        Assert.Equal(3, UdpFormatProxy.Dropped(await proxy.WaitForDropsAsync("no_session", 3), "no_session"));
        Assert.Equal(1, upstream.Count);
        Assert.False(proxy.Process.HasExited);
    });

    [Fact]
    public Task A_broken_v2_header_is_dropped_as_invalid_not_forwarded_as_payload() => UdpE2E.RunAsync(async (net, udp) =>
    {
        UdpUpstream upstream = udp.StartUpstream();
        UdpFormatProxy proxy = await UdpFormatProxy.StartAsync(net, Format);
        var client = new IPEndPoint(IPAddress.Parse("203.0.113.42"), 43002);
        using UdpBalancer lb = udp.Own(new UdpBalancer(net, UdpHeaders.Destination(net, AddressFamily.InterNetwork)));
        byte[] header = UdpHeaders.V2(net, client);
        // The v2 signature, then a version/command byte that is no v2 PROXY or LOCAL.
        byte[] broken = [.. header[..12], 0x2F, .. header[13..], .. Ascii("broken")];

        await RoundTripAsync(lb, upstream, client, "first", header);
        await lb.SendAsync(broken);
        string metrics = await proxy.WaitForDropsAsync("invalid_header", 1);
        Assert.Equal(1, UdpFormatProxy.Dropped(metrics, "invalid_header"));
        // A fresh header from the same endpoint still opens the session for its client.
        await RoundTripAsync(lb, upstream, client, "after", header);
        Assert.Equal(2, upstream.Count);
        Assert.DoesNotContain(upstream.Sources, s => !s.Equals(client));
    });

    [Fact]
    public Task A_new_header_from_the_same_endpoint_moves_the_session_to_another_client() => UdpE2E.RunAsync(async (net, udp) =>
    {
        UdpUpstream upstream = udp.StartUpstream();
        await UdpFormatProxy.StartAsync(net, Format);
        var first = new IPEndPoint(IPAddress.Parse("203.0.113.51"), 44001);
        var second = new IPEndPoint(IPAddress.Parse("198.51.100.51"), 44002);
        using UdpBalancer lb = udp.Own(new UdpBalancer(net, UdpHeaders.Destination(net, AddressFamily.InterNetwork)));

        await RoundTripAsync(lb, upstream, first, "a1", UdpHeaders.V2(net, first));
        await RoundTripAsync(lb, upstream, first, "a2");
        await lb.SendAsync(UdpHeaders.V2(net, second));
        await RoundTripAsync(lb, upstream, second, "b1");
        await RoundTripAsync(lb, upstream, second, "b2");
        // And back again, header and payload in one datagram.
        await RoundTripAsync(lb, upstream, first, "a3", UdpHeaders.V2(net, first));
        Assert.Equal(5, upstream.Count);
    });

    [Fact]
    public Task An_expired_session_drops_plain_datagrams_until_a_new_header() => UdpE2E.RunAsync(async (net, udp) =>
    {
        UdpUpstream upstream = udp.StartUpstream();
        UdpFormatProxy proxy = await UdpFormatProxy.StartAsync(net, Format, "-close-after", "1");
        var client = new IPEndPoint(IPAddress.Parse("203.0.113.61"), 45001);
        using UdpBalancer lb = udp.Own(new UdpBalancer(net, UdpHeaders.Destination(net, AddressFamily.InterNetwork)));

        await RoundTripAsync(lb, upstream, client, "before", UdpHeaders.V2(net, client));
        Assert.Equal(1, await net.CountUdpFlowSocketsAsync());
        await proxy.WaitForExpiredAsync(1);
        await Eventually.UntilAsync(async () => await net.CountUdpFlowSocketsAsync() == 0, () => "the expired flow's upstream socket closes");

        await lb.SendAsync(Ascii("late"));
        string metrics = await proxy.WaitForDropsAsync("no_session", 1);
        Assert.Equal(1, UdpFormatProxy.Dropped(metrics, "no_session"));
        Assert.Equal(1, upstream.Count);

        // A new header opens a new session (and flow) for the client.
        await RoundTripAsync(lb, upstream, client, "again", UdpHeaders.V2(net, client));
        await RoundTripAsync(lb, upstream, client, "plain again");
        Assert.Equal(3, upstream.Count);
        Assert.Equal(1, UdpFormatProxy.Dropped(await proxy.MetricsAsync(), "no_session"));
    });
}
