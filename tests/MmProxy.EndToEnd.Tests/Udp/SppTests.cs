using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Udp;

/// <summary>
/// --udp-header spp (Simple Proxy Protocol: Cloudflare Spectrum, Tencent EdgeOne): a 38-byte header
/// on every datagram. The upstream must see the payload alone from the client's address and port;
/// every reply to the balancer must carry the flow's own 38 bytes, then the upstream's reply.
/// </summary>
public sealed class SppTests
{
    private const string Format = "spp";
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(5);

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    /// <summary>Sends header + payload and checks both ends: the upstream's record and the reply (header, then "CLIENT|payload").</summary>
    private static async Task RoundTripAsync(UdpBalancer lb, UdpUpstream upstream, IPEndPoint client, byte[] header, byte[] payload)
    {
        await lb.SendAsync(header, payload);
        UdpDatagramRecord seen = await upstream.NextAsync(ReplyTimeout);
        Assert.Equal(client, seen.Source);
        Assert.Equal(payload, seen.Payload);
        byte[] reply = await lb.ExpectAsync($"{payload.Length} bytes for {client}", ReplyTimeout);
        Assert.True(reply.Length >= UdpHeaders.SppLength, $"a {reply.Length}-byte reply has no room for the SPP header");
        Assert.Equal(header, reply[..UdpHeaders.SppLength]);
        Assert.Equal([.. Ascii(client + "|"), .. payload], reply[UdpHeaders.SppLength..]);
    }

    [Theory]
    [InlineData("ipv4")]
    [InlineData("ipv6")]
    public Task The_upstream_sees_the_client_and_replies_carry_the_flows_header(string family) => UdpE2E.RunAsync(async (net, udp) =>
    {
        UdpUpstream upstream = udp.StartUpstream();
        UdpFormatProxy proxy = await UdpFormatProxy.StartAsync(net, Format);
        bool v6 = family == "ipv6";
        IPEndPoint client = v6 ? new IPEndPoint(IPAddress.Parse("2001:db8:ffff:41::9"), 43001) : new IPEndPoint(IPAddress.Parse("203.0.113.41"), 43001);
        using UdpBalancer lb = udp.Own(new UdpBalancer(net, UdpHeaders.Destination(net, client.AddressFamily)));
        byte[] header = UdpHeaders.Spp(net, client);
        var random = new Random(41);

        for (int i = 0; i < 3; i++)
        {
            // Text, then binary payloads that begin like headers: the payload is never parsed.
            byte[] payload = i switch
            {
                0 => Ascii("hello spp"),
                1 => [0x56, 0xEC, .. Enumerable.Range(0, 200).Select(_ => (byte)random.Next(256))],
                _ => [.. UdpHeaders.V2(net, client), 0x00, 0xFF],
            };
            await RoundTripAsync(lb, upstream, client, header, payload);
        }
        Assert.Equal(3, upstream.Count);
        Assert.Equal([client], upstream.Sources);
        Assert.Equal(1, await net.CountUdpFlowSocketsAsync());
        Assert.False(proxy.Process.HasExited);
    });

    [Fact]
    public Task Clients_behind_one_balancer_socket_each_get_their_own_header_back() => UdpE2E.RunAsync(async (net, udp) =>
    {
        UdpUpstream upstream = udp.StartUpstream();
        await UdpFormatProxy.StartAsync(net, Format);
        IPEndPoint[] clients =
        [
            new(IPAddress.Parse("203.0.113.71"), 46001),
            new(IPAddress.Parse("203.0.113.71"), 46002), // same address, another port: another flow
            new(IPAddress.Parse("2001:db8:ffff:71::1"), 46001),
        ];
        using UdpBalancer lb = udp.Own(new UdpBalancer(net, UdpHeaders.Destination(net, AddressFamily.InterNetwork)));

        for (int round = 0; round < 2; round++)
        {
            foreach (IPEndPoint client in clients)
            {
                await RoundTripAsync(lb, upstream, client, UdpHeaders.Spp(net, client), Ascii($"round {round}"));
            }
        }
        Assert.Equal(clients.Length, await net.CountUdpFlowSocketsAsync());
        Assert.Equal(clients.OrderBy(c => c.ToString()), upstream.Sources.OrderBy(c => c.ToString()));
    });

    [Fact]
    public Task Garbage_is_dropped_by_reason_and_never_forwarded_and_the_proxy_keeps_working() => UdpE2E.RunAsync(async (net, udp) =>
    {
        UdpUpstream upstream = udp.StartUpstream();
        UdpFormatProxy proxy = await UdpFormatProxy.StartAsync(net, Format);
        var client = new IPEndPoint(IPAddress.Parse("203.0.113.81"), 47001);
        using UdpBalancer lb = udp.Own(new UdpBalancer(net, UdpHeaders.Destination(net, AddressFamily.InterNetwork)));
        byte[] header = UdpHeaders.Spp(net, client);

        List<byte[]> tooShort = [[], [0x56], header[..37]];
        List<byte[]> badMagic =
        [
            [0x56, 0xED, .. header[2..], .. Ascii("bad magic")],
            // The magic byte-swapped, as a little-endian writer would put it.
            [0xEC, 0x56, .. header[2..], .. Ascii("swapped")],
        ];
        // A PROXY v2 sender pointed at the SPP listener (long enough not to be merely short).
        byte[] v2 = [.. UdpHeaders.V2(net, client), .. Ascii("v2 on an spp port")];
        var random = new Random(81);
        for (int i = 0; i < 100; i++)
        {
            // Short ones that begin as SPP; long ones that begin as neither SPP nor PROXY v2.
            byte[] shortOne = new byte[random.Next(2, UdpHeaders.SppLength)];
            random.NextBytes(shortOne);
            shortOne[0] = 0x56;
            shortOne[1] = 0xEC;
            tooShort.Add(shortOne);
            byte[] longOne = new byte[random.Next(UdpHeaders.SppLength, 300)];
            random.NextBytes(longOne);
            longOne[0] = (byte)random.Next(0x0E, 0x56);
            badMagic.Add(longOne);
        }
        foreach (byte[] datagram in tooShort.Concat(badMagic).Append(v2))
        {
            await lb.SendAsync(datagram);
        }

        string metrics = await proxy.WaitForDropsAsync("v2_on_spp_listener", 1);
        metrics = await proxy.WaitForDropsAsync("spp_too_short", tooShort.Count);
        metrics = await proxy.WaitForDropsAsync("spp_bad_magic", badMagic.Count);
        Assert.Equal(tooShort.Count, UdpFormatProxy.Dropped(metrics, "spp_too_short"));
        Assert.Equal(badMagic.Count, UdpFormatProxy.Dropped(metrics, "spp_bad_magic"));
        Assert.Equal(1, UdpFormatProxy.Dropped(metrics, "v2_on_spp_listener"));
        Assert.Equal(0, upstream.Count);

        // Still serving: the first thing the upstream ever gets is the valid datagram after the garbage.
        await RoundTripAsync(lb, upstream, client, header, Ascii("still alive"));
        Assert.Equal(1, upstream.Count);
        Assert.Null(await lb.ReceiveAsync(TimeSpan.FromMilliseconds(200)));
        Assert.False(proxy.Process.HasExited);
    });
}
