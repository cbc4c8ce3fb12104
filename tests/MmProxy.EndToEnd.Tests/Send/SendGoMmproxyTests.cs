using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Infrastructure;
using MmProxy.EndToEnd.Tests.Udp;

namespace MmProxy.EndToEnd.Tests.Send;

/// <summary>
/// UDP clients → `mmproxy send -p udp` (v2 on every datagram) → Debian's go-mmproxy -p udp (an
/// independent receiver, with the server namespace's loopback policy routing) → an echo upstream
/// that answers "SOURCE|payload". go-mmproxy reads each header and spoofs the client, so the
/// upstream's view of the source proves the header named the right client and port; the reply's
/// text proves it reached the client the header named, back through both proxies.
/// go-mmproxy 2.1's UDP picks its target by the family of the load balancer's address, not the
/// client's (an IPv6 client from an IPv4 sender fails: "dial udp: … no suitable address found"),
/// so each family has its own pair: sender on 192.0.2.130 → go-mmproxy on 127.0.0.1, sender on
/// the server's IPv6 address → go-mmproxy on ::1.
/// </summary>
public sealed class SendGoMmproxyTests
{
    private const int Clients = 30;
    private const int DatagramsEach = 3;
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public Task Thirty_udp_clients_through_go_mmproxy_each_get_their_own_replies() => UdpE2E.RunAsync(async (net, udp) =>
    {
        string goMmproxy = RequiredTool.Find("go-mmproxy", "go-mmproxy");
        UdpUpstream upstream = udp.StartUpstream();
        var processes = new List<BackgroundProcess>();
        int started = 0;
        foreach ((AddressFamily af, string loopback) in new[] { (AddressFamily.InterNetwork, "127.0.0.1"), (AddressFamily.InterNetworkV6, "::1") })
        {
            started++;
            string remote = TestNetwork.Endpoint(loopback, TestNetwork.ProxyPort);
            BackgroundProcess receiver = net.Start("go-mmproxy-" + loopback, net.ServerNs, goMmproxy,
                ["-p", "udp", "-l", remote, "-4", "127.0.0.1:" + TestNetwork.UpstreamPort, "-6", "[::1]:" + TestNetwork.UpstreamPort, "-v", "2"]);
            await net.WaitUdpBoundAsync(net.ServerNs, TestNetwork.ProxyPort, receiver, started);
            processes.Add(receiver);
            processes.Add(await SendProcess.StartAsync(net, "udp", remote, listen: TestNetwork.Endpoint(net.Server(af), SendProcess.Port),
                label: "mmproxy-send-" + loopback, sockets: started));
        }

        // Half of them IPv4, half IPv6, all at once.
        PlainUdpClient[] clients = Enumerable.Range(0, Clients)
            .Select(i => udp.Own(PlainUdpClient.To(net, i % 2 == 0 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6)))
            .ToArray();
        await Task.WhenAll(clients.Select(async (client, i) =>
        {
            for (int n = 0; n < DatagramsEach; n++)
            {
                string payload = $"client {i} datagram {n} " + new string((char)('a' + (i % 26)), i * 7);
                byte[] reply = await client.ExchangeAsync(Encoding.ASCII.GetBytes(payload), ReplyTimeout);
                Assert.Equal($"{client.Local}|{payload}", Encoding.ASCII.GetString(reply));
            }
        }));

        // The upstream saw exactly the clients' own endpoints, every datagram.
        Assert.Equal(clients.Select(c => c.Local.ToString()).Order(), upstream.Sources.Select(e => e.ToString()).Order());
        Assert.Equal(Clients * DatagramsEach, upstream.Count);
        Assert.All(processes, p => Assert.False(p.HasExited, p.Describe()));
    });
}
