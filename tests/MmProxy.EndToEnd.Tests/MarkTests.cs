using System.Net;
using System.Net.Sockets;
using MmProxy.EndToEnd.Tests.Infrastructure;

namespace MmProxy.EndToEnd.Tests;

/// <summary>-mark N puts SO_MARK on the upstream connections (for policy routing by mark).</summary>
public sealed class MarkTests
{
    [Fact]
    public Task Mark_is_set_on_upstream_connections() => E2E.RunAsync(async net =>
    {
        Upstream upstream = net.StartUpstream(Handlers.Echo);
        await net.StartProxyAsync("0.0.0.0", "-mark", "42");
        using Socket client = await net.ConnectThroughProxyAsync(localPort: 43210);
        await Streams.SendAllAsync(client, "x"u8.ToArray());
        _ = await Streams.ReceiveExactlyAsync(client, 1);
        UpstreamConnection seen = await upstream.NextAsync();
        Assert.Equal(new IPEndPoint(net.ClientV4, 43210), seen.Remote);

        // The proxy's end of the upstream connection: from the client's address to :7001.
        CommandResult ss = await Command.CheckAsync("ip", "netns", "exec", net.ServerNs,
            "ss", "-Htne", "state", "established", "dst", "127.0.0.1:" + TestNetwork.UpstreamPort);
        string[] lines = ss.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, "expected one proxy-side upstream socket:\n" + ss.StdOut);
        Assert.Contains("fwmark:0x2a", lines[0], StringComparison.Ordinal);
    });
}
