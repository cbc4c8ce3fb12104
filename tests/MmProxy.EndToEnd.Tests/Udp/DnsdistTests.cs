using System.Net;
using System.Net.Sockets;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Udp;

/// <summary>
/// dnsdist (a real datagram load balancer) in front of `mmproxy -p udp` with useProxyProtocol:
/// kdig in the client namespace gets the answer through the chain, and the DNS responder behind
/// mmproxy sees the client's own address and port.
/// </summary>
public sealed class DnsdistTests
{
    private const int DnsPort = 8053;

    [Theory]
    [InlineData("ipv4")]
    [InlineData("ipv6")]
    public Task Kdig_through_dnsdist_and_mmproxy_and_responder_sees_the_client(string family) => UdpE2E.RunAsync(async (net, udp) =>
    {
        AddressFamily af = family == "ipv6" ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        DnsResponder responder = DnsResponder.Start(net.ServerNs, TestNetwork.UpstreamPort);
        await using (responder)
        {
            try
            {
                await net.StartUdpProxyAsync(["-p", "udp", "-l", "127.0.0.1:" + TestNetwork.ProxyPort,
                    "-4", "127.0.0.1:" + TestNetwork.UpstreamPort, "-6", "[::1]:" + TestNetwork.UpstreamPort, "-v", "2"]);
                await StartDnsdistAsync(net);

                const int clientPort = 45353;
                IPAddress server = net.Server(af);
                IPAddress client = net.Client(af);
                string bind = client + "#" + clientPort;
                for (int i = 0; i < 3; i++)
                {
                    CommandResult dig = await Command.RunAsync("ip",
                        ["netns", "exec", net.ClientNs, "kdig", "@" + server, "-p", DnsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                         "-b", bind, "+short", "+timeout=3", "+retry=1", "example.test", "A"],
                        TimeSpan.FromSeconds(15));
                    net.Note(dig.ToString());
                    Assert.Equal(0, dig.ExitCode);
                    Assert.Equal(DnsResponder.Answer.ToString(), dig.StdOut.Trim());
                }

                (IPEndPoint Source, string Name)[] queries = responder.Queries.Where(q => q.Name == "example.test.").ToArray();
                Assert.Equal(3, queries.Length);
                Assert.All(queries, q => Assert.Equal(new IPEndPoint(client, clientPort), q.Source));
            }
            catch
            {
                net.Note(responder.Describe());
                throw;
            }
        }
    });

    [Fact]
    public Task Dnsdist_health_checks_pass_through_mmproxy_unspoofed() => UdpE2E.RunAsync(async (net, udp) =>
    {
        DnsResponder responder = DnsResponder.Start(net.ServerNs, TestNetwork.UpstreamPort);
        await using (responder)
        {
            try
            {
                await net.StartUdpProxyAsync(["-p", "udp", "-l", "127.0.0.1:" + TestNetwork.ProxyPort,
                    "-4", "127.0.0.1:" + TestNetwork.UpstreamPort, "-v", "2"]);
                await StartDnsdistAsync(net, forceUp: false);
                await Eventually.UntilAsync(() => responder.Queries.Length >= 2,
                    () => "dnsdist's health checks reach the responder through mmproxy");
                Assert.All(responder.Queries, q => Assert.True(IPAddress.IsLoopback(q.Source.Address), $"health check from {q.Source}"));

                // The backend is up by its own checks: a client query is answered.
                CommandResult dig = await Command.RunAsync("ip",
                    ["netns", "exec", net.ClientNs, "kdig", "@" + net.ServerV4, "-p", DnsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "+short", "+timeout=3", "+retry=2", "example.test", "A"], TimeSpan.FromSeconds(20));
                net.Note(dig.ToString());
                Assert.Equal(DnsResponder.Answer.ToString(), dig.StdOut.Trim());
            }
            catch
            {
                net.Note(responder.Describe());
                throw;
            }
        }
    });

    private static async Task StartDnsdistAsync(TestNetwork net, bool forceUp = true)
    {
        // setUp(): forced up, so the test does not depend on health-check timing; no security polling (no network).
        string up = forceUp ? "backend:setUp()" : "";
        string config = $$"""
            setSecurityPollSuffix("")
            setLocal("{{TestNetwork.Endpoint(net.ServerV4, DnsPort)}}")
            addLocal("{{TestNetwork.Endpoint(net.ServerV6, DnsPort)}}")
            addACL("0.0.0.0/0")
            addACL("::/0")
            local backend = newServer{address="127.0.0.1:{{TestNetwork.ProxyPort}}", useProxyProtocol=true}
            {{up}}

            """;
        string path = net.WriteFile("dnsdist.conf", config);
        BackgroundProcess dnsdist = net.Start("dnsdist", net.ServerNs, "dnsdist", ["--supervised", "--disable-syslog", "-C", path]);
        await net.WaitUdpBoundAsync(net.ServerNs, DnsPort, dnsdist, 2);
    }
}
