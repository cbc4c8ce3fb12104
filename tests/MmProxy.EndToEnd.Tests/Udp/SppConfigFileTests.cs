using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Infrastructure;
using MmProxy.EndToEnd.Tests.Lifecycle;

namespace MmProxy.EndToEnd.Tests.Udp;

/// <summary>
/// "udpHeader" in the configuration file: one process, three UDP listeners, each with its own format
/// (spp, v2-first, and the default v2), each handling exactly its own.
/// </summary>
public sealed class SppConfigFileTests
{
    private const int SppPort = TestNetwork.ProxyPort;
    private const int V2FirstPort = 7100;
    private const int V2Port = 7200;
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);

    private static string Udp(string name, int port, string extra) =>
        $$"""{"name": "{{name}}", "protocol": "udp", "listen": "[::]:{{port}}", "ipv4": "127.0.0.1:{{TestNetwork.UpstreamPort}}", "ipv6": "[::1]:{{TestNetwork.UpstreamPort}}"{{extra}}}""";

    private static string Text(byte[] bytes) => Encoding.ASCII.GetString(bytes);

    [Fact]
    public Task Each_listener_speaks_the_udp_header_of_its_config_entry() => UdpE2E.RunAsync(async (net, udp) =>
    {
        UdpUpstream upstream = udp.StartUpstream();
        string config = net.WriteFile("mmproxy.json", "{\"listeners\": [\n" + string.Join(",\n",
            Udp("spectrum-spp", SppPort, ", \"udpHeader\": \"spp\""),
            Udp("spectrum-v2", V2FirstPort, ", \"udpHeader\": \"v2-first\""),
            Udp("dnsdist", V2Port, string.Empty)) + "\n]}\n");
        BackgroundProcess p = await ConfigProxy.StartAsync(net, config, []);
        foreach (int port in new[] { SppPort, V2FirstPort, V2Port })
        {
            await net.WaitUdpBoundAsync(net.ServerNs, port, p);
        }
        // With --config each listener's "Opened" line names its format.
        foreach ((string name, string format) in new[] { ("spectrum-spp", "spp"), ("spectrum-v2", "v2-first"), ("dnsdist", "v2") })
        {
            string line = p.Output.Split('\n').SingleOrDefault(l => l.Contains("Opened listeners", StringComparison.Ordinal)
                && l.Contains($"(name \"{name}\")", StringComparison.Ordinal)) ?? string.Empty;
            Assert.Contains($"udp (header {format})", line, StringComparison.Ordinal);
        }

        // SPP, an IPv4 and an IPv6 client: payload alone upstream, the flow's header on the reply.
        foreach (IPEndPoint client in new IPEndPoint[] { new(IPAddress.Parse("203.0.113.91"), 48001), new(IPAddress.Parse("2001:db8:ffff:91::1"), 48001) })
        {
            using var lb = new UdpBalancer(net, UdpHeaders.Destination(net, client.AddressFamily));
            byte[] header = UdpHeaders.Spp(net, client);
            // A v2 datagram is not SPP: dropped there, so the upstream's next record is the SPP one.
            await lb.SendAsync(UdpHeaders.V2(net, client), Encoding.ASCII.GetBytes("not spp"));
            await lb.SendAsync(header, Encoding.ASCII.GetBytes("spp"));
            UdpDatagramRecord seen = await upstream.NextAsync(ReplyTimeout);
            Assert.Equal(client, seen.Source);
            Assert.Equal("spp", Text(seen.Payload));
            byte[] reply = await lb.ExpectAsync("spp", ReplyTimeout);
            Assert.Equal([.. header, .. Encoding.ASCII.GetBytes($"{client}|spp")], reply);
        }

        // v2-first on its own port: a header once, then plain payload.
        var spectrumClient = new IPEndPoint(IPAddress.Parse("198.51.100.92"), 48002);
        using (var lb = new UdpBalancer(net, new IPEndPoint(net.ServerV4, V2FirstPort)))
        {
            await lb.SendAsync(UdpHeaders.V2(net, spectrumClient));
            foreach (string text in new[] { "first", "second" })
            {
                await lb.SendAsync(Encoding.ASCII.GetBytes(text));
                UdpDatagramRecord seen = await upstream.NextAsync(ReplyTimeout);
                Assert.Equal(spectrumClient, seen.Source);
                Assert.Equal(text, Text(seen.Payload));
                Assert.Equal($"{spectrumClient}|{text}", Text(await lb.ExpectAsync(text, ReplyTimeout)));
            }
        }

        // The default: a v2 header on every datagram, as before.
        var dnsClient = new IPEndPoint(IPAddress.Parse("203.0.113.93"), 48003);
        using (var session = new UdpClientSession(net, new IPEndPoint(net.ServerV6, V2Port), dnsClient))
        {
            await session.SendAsync(Encoding.ASCII.GetBytes("v2"));
            UdpDatagramRecord seen = await upstream.NextAsync(ReplyTimeout);
            Assert.Equal(dnsClient, seen.Source);
            Assert.Equal("v2", Text(seen.Payload));
            byte[]? reply = await session.ReceiveAsync(ReplyTimeout);
            Assert.Equal($"{dnsClient}|v2", reply is null ? null : Text(reply));
        }

        Assert.Equal(5, upstream.Count);
        Assert.False(p.HasExited, p.Output);
    });
}
