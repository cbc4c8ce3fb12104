using System.Net;
using System.Net.Sockets;
using System.Text;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests;

/// <summary>go-mmproxy's documented invocation works unchanged (a drop-in replacement).</summary>
public sealed class FlagCompatibilityTests
{
    public static TheoryData<string> Forms => new() { "separate", "equals", "double-dash" };

    [Theory]
    [MemberData(nameof(Forms))]
    public Task Documented_go_mmproxy_invocation_works(string form) => E2E.RunAsync(async net =>
    {
        // README of go-mmproxy: mmproxy -l 0.0.0.0:25577 -4 127.0.0.1:25578 -6 [::1]:25578 --allowed-subnets ./path-prefixes.txt
        net.WriteFile("path-prefixes.txt", $"{net.ClientV4}/32\n127.0.0.0/8\n::1/128\n");
        string[] pairs = ["-l", "0.0.0.0:25577", "-4", "127.0.0.1:25578", "-6", "[::1]:25578", "-allowed-subnets", "./path-prefixes.txt"];
        var args = new List<string>();
        for (int i = 0; i < pairs.Length; i += 2)
        {
            switch (form)
            {
                case "separate":
                    args.Add(pairs[i]);
                    args.Add(pairs[i + 1]);
                    break;
                case "equals":
                    args.Add(pairs[i] + "=" + pairs[i + 1]);
                    break;
                default:
                    args.Add("-" + pairs[i]);
                    args.Add(pairs[i + 1]);
                    break;
            }
        }
        Upstream upstream = net.StartUpstream(Handlers.Echo, port: 25578);
        await net.StartProxyAsync(args, port: 25577);

        // An IPv4 client goes to -4, an IPv6 client (as named in the header) to -6.
        foreach (AddressFamily family in new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 })
        {
            using Socket s = await net.ConnectThroughProxyAsync(family, proxyPort: 25577);
            int port = ((IPEndPoint)s.LocalEndPoint!).Port;
            await Streams.SendAllAsync(s, "compat"u8.ToArray());
            Assert.Equal("compat", Encoding.ASCII.GetString(await Streams.ReceiveExactlyAsync(s, 6)));
            UpstreamConnection seen = await upstream.NextAsync();
            Assert.Equal(new IPEndPoint(net.Client(family), port), seen.Remote);
            Assert.Equal(family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, seen.Local.Address);
        }
    });
}
