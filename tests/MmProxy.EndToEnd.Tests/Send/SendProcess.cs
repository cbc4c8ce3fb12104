using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests.Send;

/// <summary>
/// `mmproxy send` (the load balancer's side) in the server namespace, listening on
/// <see cref="TestNetwork.BalancerPort"/>; clients reach it from the client namespace over the veth.
/// </summary>
internal static class SendProcess
{
    public const int Port = TestNetwork.BalancerPort;

    /// <summary>The listen argument every test uses: [::] takes IPv4 (v4-mapped) and IPv6 clients.</summary>
    public static readonly string DualStack = TestNetwork.Endpoint("::", Port);

    /// <summary>Starts `mmproxy send -p PROTOCOL -l LISTEN -r REMOTE -v 2 EXTRA...` and waits until it listens.</summary>
    /// <param name="sockets">How many listening sockets on the port, counting other senders' (one each).</param>
    public static async Task<BackgroundProcess> StartAsync(TestNetwork net, string protocol, string remote, IEnumerable<string>? extra = null, string? listen = null, string label = "mmproxy-send", int sockets = 1)
    {
        var args = new List<string> { "send", "-p", protocol, "-l", listen ?? DualStack, "-r", remote, "-v", "2" };
        args.AddRange(extra ?? []);
        BackgroundProcess p = net.Start(label, net.ServerNs, ProxyBinary.Path, args);
        if (protocol == "udp")
        {
            await net.WaitUdpBoundAsync(net.ServerNs, Port, p, sockets);
        }
        else
        {
            await net.WaitListeningAsync(net.ServerNs, Port, p, sockets);
        }

        return p;
    }

    /// <summary>The receiving mmproxy the pair tests put behind the sender: 127.0.0.1:7000 → the upstream on 7001.</summary>
    public static Task<BackgroundProcess> StartReceiverAsync(TestNetwork net, string protocol, params string[] extra)
    {
        var args = new List<string>
        {
            "-p", protocol,
            "-l", TestNetwork.Endpoint("::", TestNetwork.ProxyPort),
            "-4", "127.0.0.1:" + TestNetwork.UpstreamPort,
            "-6", "[::1]:" + TestNetwork.UpstreamPort,
            "-v", "2",
        };
        args.AddRange(extra);
        return protocol == "udp" ? net.StartUdpProxyAsync(args) : net.StartProxyAsync(args);
    }
}
