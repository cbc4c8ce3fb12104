using System.Net;
using System.Net.Sockets;

namespace MmProxy.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Two throwaway network namespaces, "client" and "server", joined by a veth pair, each with an
/// IPv4 and an IPv6 address. The server namespace has the loopback policy routing mmproxy needs.
/// Everything it creates (namespaces, processes, temp files) is removed on disposal.
/// Documentation ranges only (RFC 5737, RFC 3849). IPv4: 192.0.2.129 (client) and .130 (server) in
/// every network (each has its own namespaces); the /25 keeps the rest of 192.0.2.0/24 off-link, such
/// as 192.0.2.1, the source `mmproxy check` spoofs. IPv6: 2001:db8:N::1 and ::2, N = 1..c8 (hex) by
/// index. Client addresses that tests claim in headers are assigned nowhere: 203.0.113.0/24,
/// 198.51.100.0/24 and 2001:db8:ffff::/48.
/// </summary>
internal sealed partial class TestNetwork : IAsyncDisposable
{
    public const int ProxyPort = 7000;
    public const int UpstreamPort = 7001;
    public const int BalancerPort = 8001;

    private static int _counter;
    private readonly List<BackgroundProcess> _processes = [];
    private readonly List<Upstream> _upstreams = [];
    private readonly List<string> _notes = [];

    private TestNetwork(int index)
    {
        int subnet = (index % 200) + 1;
        string id = $"mmt-{Environment.ProcessId}-{index}";
        ClientNs = id + "-c";
        ServerNs = id + "-s";
        ClientV4 = IPAddress.Parse("192.0.2.129");
        ServerV4 = IPAddress.Parse("192.0.2.130");
        ClientV6 = IPAddress.Parse($"2001:db8:{subnet:x}::1");
        ServerV6 = IPAddress.Parse($"2001:db8:{subnet:x}::2");
        TempDir = Path.Combine(Path.GetTempPath(), id);
    }

    public string ClientNs { get; }
    public string ServerNs { get; }
    public IPAddress ClientV4 { get; }
    public IPAddress ServerV4 { get; }
    public IPAddress ClientV6 { get; }
    public IPAddress ServerV6 { get; }
    public string TempDir { get; }

    public IPAddress Client(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? ClientV6 : ClientV4;
    public IPAddress Server(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? ServerV6 : ServerV4;

    private static readonly Lazy<Task> StaleCleanup = new(RemoveStaleNamespacesAsync);

    public static async Task<TestNetwork> CreateAsync()
    {
        await StaleCleanup.Value;
        var net = new TestNetwork(Interlocked.Increment(ref _counter));
        try
        {
            await net.SetUpAsync();
            return net;
        }
        catch
        {
            await net.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A killed test host cannot clean up: remove namespaces of this fixture's naming scheme whose
    /// owning process no longer exists.
    /// </summary>
    private static async Task RemoveStaleNamespacesAsync()
    {
        CommandResult list = await Command.RunAsync("ip", ["netns", "list"]);
        foreach (string line in list.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string name = line.Split(' ')[0];
            System.Text.RegularExpressions.Match m = StaleName().Match(name);
            if (m.Success && !Directory.Exists("/proc/" + m.Groups[1].Value))
            {
                _ = await Command.RunAsync("ip", ["netns", "delete", name]);
            }
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^mmt-([0-9]+)-[0-9]+-[cs]$")]
    private static partial System.Text.RegularExpressions.Regex StaleName();

    private async Task SetUpAsync()
    {
        Directory.CreateDirectory(TempDir);
        await Command.CheckAsync("ip", "netns", "add", ClientNs);
        await Command.CheckAsync("ip", "netns", "add", ServerNs);
        // Created directly inside the namespaces, so the fixed interface name never collides.
        await Command.CheckAsync("ip", "-n", ClientNs, "link", "add", "veth0", "type", "veth", "peer", "name", "veth0", "netns", ServerNs);
        foreach ((string ns, IPAddress v4, IPAddress v6) in new[] { (ClientNs, ClientV4, ClientV6), (ServerNs, ServerV4, ServerV6) })
        {
            await Command.CheckAsync("ip", "-n", ns, "addr", "add", v4 + "/25", "dev", "veth0");
            await Command.CheckAsync("ip", "-n", ns, "addr", "add", v6 + "/64", "dev", "veth0", "nodad");
            await Command.CheckAsync("ip", "-n", ns, "link", "set", "lo", "up");
            await Command.CheckAsync("ip", "-n", ns, "link", "set", "veth0", "up");
            // Ephemeral ports start above every fixed port a test binds (all below 45000), so a
            // wave of port-0 sockets can never take a port a test is about to bind explicitly.
            await Command.CheckAsync("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_local_port_range=45000 65535");
        }
        // Replies to spoofed upstream connections must come back to the proxy through loopback.
        await Command.CheckAsync("ip", "-n", ServerNs, "rule", "add", "from", "127.0.0.1/8", "iif", "lo", "table", "123");
        await Command.CheckAsync("ip", "-n", ServerNs, "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "123");
        await Command.CheckAsync("ip", "-n", ServerNs, "-6", "rule", "add", "from", "::1/128", "iif", "lo", "table", "123");
        await Command.CheckAsync("ip", "-n", ServerNs, "-6", "route", "add", "local", "::/0", "dev", "lo", "table", "123");
        await WaitForIPv6ReadyAsync(ClientNs);
        await WaitForIPv6ReadyAsync(ServerNs);
    }

    /// <summary>Our addresses are added with nodad; still wait for any global one to leave "tentative" (link-local ones do not matter).</summary>
    private static async Task WaitForIPv6ReadyAsync(string ns)
    {
        string tentative = string.Empty;
        await Eventually.UntilAsync(
            async () => (tentative = (await Command.CheckAsync("ip", "-n", ns, "-6", "addr", "show", "dev", "veth0", "scope", "global", "tentative")).StdOut.Trim()).Length == 0,
            () => $"IPv6 addresses in {ns} still tentative:\n{tentative}",
            TimeSpan.FromSeconds(10));
    }

    /// <summary>Starts a long-running process inside a namespace; it is killed with the network.</summary>
    public BackgroundProcess Start(string label, string ns, string fileName, IEnumerable<string> arguments, string? workingDirectory = null)
    {
        var args = new List<string> { "netns", "exec", ns, fileName };
        args.AddRange(arguments);
        BackgroundProcess p = BackgroundProcess.Start(label, "ip", args, workingDirectory ?? TempDir);
        lock (_processes)
        {
            _processes.Add(p);
        }
        return p;
    }

    public void Note(string text)
    {
        lock (_notes)
        {
            _notes.Add(text);
        }
    }

    /// <summary>Everything worth printing when a test fails: process output, upstream records.</summary>
    public string Describe()
    {
        var parts = new List<string> { $"namespaces {ClientNs} ({ClientV4}, {ClientV6}) / {ServerNs} ({ServerV4}, {ServerV6})" };
        lock (_notes)
        {
            parts.AddRange(_notes);
        }
        lock (_processes)
        {
            parts.AddRange(_processes.Select(p => p.Describe()));
        }
        lock (_upstreams)
        {
            parts.AddRange(_upstreams.Select(u => u.Describe()));
        }
        return string.Join('\n', parts);
    }

    public async ValueTask DisposeAsync()
    {
        Upstream[] upstreams;
        lock (_upstreams)
        {
            upstreams = [.. _upstreams];
        }
        foreach (Upstream u in upstreams)
        {
            await u.DisposeAsync();
        }
        BackgroundProcess[] processes;
        lock (_processes)
        {
            processes = [.. _processes];
        }
        foreach (BackgroundProcess p in processes)
        {
            await p.DisposeAsync();
        }
        // Deleting a namespace also removes the veth pair inside it.
        foreach (string ns in new[] { ClientNs, ServerNs })
        {
            try
            {
                await Command.RunAsync("ip", ["netns", "delete", ns]);
            }
            catch (TimeoutException)
            {
                // Best effort; the name is unique per test process.
            }
        }
        try
        {
            Directory.Delete(TempDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
