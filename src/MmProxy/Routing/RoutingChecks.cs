using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using MmProxy.Interop;

namespace MmProxy.Routing;

/// <summary>
/// The individual checks behind `mmproxy check` and the startup checks. Each returns a verdict
/// with what it saw and, when failed, the exact command that fixes it; none throws for an
/// expected failure.
/// </summary>
internal sealed class RoutingChecks
{
    private const string CapabilityFix =
        "run as root, or `setcap cap_net_admin+ep /usr/bin/mmproxy`, or AmbientCapabilities=CAP_NET_ADMIN in the systemd unit";

    private readonly ICommandRunner _ip;
    private readonly RoutingRecipe _recipe;

    public RoutingChecks(ICommandRunner ip, RoutingRecipe recipe, ICommandRunner? nft = null)
    {
        ArgumentNullException.ThrowIfNull(ip);
        ArgumentNullException.ThrowIfNull(recipe);
        _ip = ip;
        _recipe = recipe;
        Tproxy = recipe.Nft is null ? null : new TproxyChecks(nft ?? IpCommand.Nft(), recipe);
    }

    public RoutingRecipe Recipe => _recipe;

    /// <summary>The checks of our nft table, with --tproxy; null without it.</summary>
    public TproxyChecks? Tproxy { get; }

    /// <summary>Can this process set IP_TRANSPARENT (IPv4) / IPV6_TRANSPARENT (IPv6)?</summary>
    public static CheckResult Transparent(AddressFamily family)
    {
        string option = family == AddressFamily.InterNetworkV6 ? "IPV6_TRANSPARENT" : "IP_TRANSPARENT";
        Errno errno = TransparentSocket.Probe(family);
        return errno switch
        {
            Errno.Success => CheckResult.Ok(option, "allowed"),
            Errno.EAFNOSUPPORT => CheckResult.Skipped(option, "this host has no IPv6"),
            Errno.EPERM or Errno.EACCES => CheckResult.Failed(option, "refused: " + errno.Describe(), CapabilityFix),
            _ => CheckResult.Failed(option, "refused: " + errno.Describe(), null),
        };
    }

    /// <summary>Can this process set SO_MARK (needs CAP_NET_ADMIN as well)?</summary>
    public static CheckResult MarkAllowed(uint mark)
    {
        string name = "SO_MARK " + mark.ToString(CultureInfo.InvariantCulture);
        Errno errno = TransparentSocket.ProbeMark(mark);
        return errno == Errno.Success
            ? CheckResult.Ok(name, "allowed")
            : CheckResult.Failed(name, "refused: " + errno.Describe(), errno is Errno.EPERM or Errno.EACCES ? CapabilityFix : null);
    }

    /// <summary>
    /// Does the reply of the service at <paramref name="target"/> to a spoofed client of
    /// <paramref name="clientFamily"/> come back to this host (a "local" route)? An output route
    /// lookup: `ip route get CLIENT from TARGET`.
    /// </summary>
    public async Task<CheckResult> ReturnRouteAsync(AddressFamily clientFamily, IPEndPoint target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        string name = $"{FamilyName(clientFamily)} return route";
        if (!TryLookupAddresses(clientFamily, target, out IPAddress from, out IPAddress client, out string? why))
        {
            return CheckResult.Skipped(name, why!);
        }

        bool loopback = IPAddress.IsLoopback(from);
        if (!loopback && !IsLocalAddress(from))
        {
            return CheckResult.Skipped(name, $"target {target} is on another host: its replies are routed there");
        }

        AddressFamily family = from.AddressFamily;
        string fix = loopback ? _recipe.FixFor(family) : SourceFix(family, from);
        string flag = family == AddressFamily.InterNetworkV6 ? "-6" : "-4";
        IpCommandResult lookup = await _ip.RunAsync([flag, "route", "get", client.ToString(), "from", from.ToString()], cancellationToken).ConfigureAwait(false);
        return Verdict(name, lookup, $"replies from {from} to a client such as {client}", fix);
    }

    /// <summary>With --mark: are packets carrying the mark routed locally (`ip rule add fwmark N lookup T`)?</summary>
    public Task<CheckResult> MarkRouteAsync(AddressFamily family, uint mark, CancellationToken cancellationToken = default) =>
        MarkRouteAsync(family, mark, null, cancellationToken);

    /// <summary>The same for the mark of something else (<paramref name="purpose"/> "TPROXY": --tproxy-mark), named after it.</summary>
    public async Task<CheckResult> MarkRouteAsync(AddressFamily family, uint mark, string? purpose, CancellationToken cancellationToken)
    {
        string name = $"{FamilyName(family)} fwmark {mark.ToString(CultureInfo.InvariantCulture)} route{(purpose is null ? string.Empty : $" ({purpose})")}";
        if (family == AddressFamily.InterNetworkV6 && !Socket.OSSupportsIPv6)
        {
            return CheckResult.Skipped(name, "this host has no IPv6");
        }

        IPAddress client = family == AddressFamily.InterNetworkV6 ? SpoofedSources.V6 : SpoofedSources.V4;
        string flag = family == AddressFamily.InterNetworkV6 ? "-6" : "-4";
        IpCommandResult lookup = await _ip.RunAsync(
            [flag, "route", "get", client.ToString(), "mark", mark.ToString(CultureInfo.InvariantCulture)], cancellationToken).ConfigureAwait(false);
        return Verdict(name, lookup, $"packets marked {mark} to {client}", _recipe.FixForMark(family, mark));
    }

    /// <summary>Does anything listen on the target? A plain connect, no spoofing.</summary>
    public static async Task<CheckResult> PlainConnectAsync(string label, IPEndPoint target, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(target);
        string name = $"{label} target {target} (plain connect)";
        using var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await socket.ConnectAsync(target, cts.Token).ConfigureAwait(false);
            return CheckResult.Ok(name, "reachable");
        }
        catch (OperationCanceledException)
        {
            return CheckResult.Failed(name, $"no answer within {Seconds(timeout)} s", $"check that the service at {target} is up and not firewalled");
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode == SocketError.ConnectionRefused
                ? CheckResult.Failed(name, "connection refused: nothing listens there", $"start the service on {target}, or point -{(label == "IPv6" ? "6" : "4")} at it")
                : CheckResult.Failed(name, DescribeSocketError(ex.SocketErrorCode), null);
        }
    }

    /// <summary>
    /// The real thing: connect to the target from a spoofed client address (IP_TRANSPARENT, as the
    /// proxy does). A timeout means the service's replies are not routed back to us.
    /// </summary>
    public async Task<CheckResult> SpoofedConnectAsync(AddressFamily clientFamily, IPEndPoint target, uint mark, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (!TryLookupAddresses(clientFamily, target, out IPAddress from, out _, out string? why))
        {
            return CheckResult.Skipped($"{FamilyName(clientFamily)} target {target} (spoofed connect)", why!);
        }

        IPAddress client = SpoofedSources.For(clientFamily, target);
        string name = $"{FamilyName(clientFamily)} target {target} (spoofed connect from {client})";
        // The builder the proxy's own connections use, so the check tests the path that runs.
        SocketSetupResult setup = TransparentSocket.Open(target.AddressFamily, SocketType.Stream, new IPEndPoint(client, 0), mark);
        if (!setup.Succeeded)
        {
            return CheckResult.Failed(name, setup.Describe(),
                setup.Error is SocketSetupError.TransparentNotPermitted or SocketSetupError.MarkNotPermitted ? CapabilityFix : null);
        }

        string fix = IPAddress.IsLoopback(from) ? _recipe.FixFor(from.AddressFamily)
            : IsLocalAddress(from) ? SourceFix(from.AddressFamily, from)
            : $"on the host of {target}, route replies to client addresses back to this host";
        using var socket = new Socket(new SafeSocketHandle(setup.Fd, ownsHandle: true));
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await socket.ConnectAsync(target, cts.Token).ConfigureAwait(false);
            return CheckResult.Ok(name, "connected: replies come back");
        }
        catch (OperationCanceledException)
        {
            return CheckResult.Failed(name, $"no reply within {Seconds(timeout)} s: replies to spoofed client addresses are not routed back to mmproxy", fix);
        }
        catch (SocketException ex)
        {
            return CheckResult.Failed(name, DescribeSocketError(ex.SocketErrorCode),
                ex.SocketErrorCode is SocketError.NetworkUnreachable or SocketError.HostUnreachable ? fix : null);
        }
    }

    private static CheckResult Verdict(string name, IpCommandResult lookup, string what, string fix)
    {
        if (lookup.ExitCode < 0)
        {
            // `ip` missing or hung: we know nothing about the route.
            return CheckResult.Failed(name, "cannot check: " + lookup.FirstErrorLine, "install iproute2 (apt-get install iproute2)");
        }

        if (!lookup.Succeeded)
        {
            return CheckResult.Failed(name, $"{what} have no route (`{lookup.CommandLine}`: {lookup.FirstErrorLine})", fix);
        }

        string first = FirstLine(lookup.StdOut);
        return first.StartsWith("local ", StringComparison.Ordinal) && first.Contains(" dev lo", StringComparison.Ordinal)
            ? CheckResult.Ok(name, $"{what} are delivered locally ({first})")
            : CheckResult.Failed(name, $"{what} leave this host instead of returning to mmproxy (`{lookup.CommandLine}`: {first})", fix);
    }

    private string SourceFix(AddressFamily family, IPAddress from)
    {
        string prefix = from + (family == AddressFamily.InterNetworkV6 ? "/128" : "/32");
        return RoutingStep.SourceRule(family, prefix, _recipe.Table).AddCommand + " && " + RoutingStep.LocalRoute(family, _recipe.Table).AddCommand;
    }

    /// <summary>The address the service replies from, and the spoofed client it replies to.</summary>
    private static bool TryLookupAddresses(AddressFamily clientFamily, IPEndPoint target, out IPAddress from, out IPAddress client, out string? why)
    {
        from = target.Address;
        client = SpoofedSources.For(clientFamily, target);
        why = null;
        if (clientFamily == AddressFamily.InterNetworkV6 && target.AddressFamily != AddressFamily.InterNetworkV6)
        {
            why = $"IPv6 clients cannot be sent to the IPv4 target {target}";
            return false;
        }

        if (target.AddressFamily == AddressFamily.InterNetworkV6 && !Socket.OSSupportsIPv6)
        {
            why = "this host has no IPv6";
            return false;
        }

        if (from.IsIPv4MappedToIPv6)
        {
            from = from.MapToIPv4();
        }

        if (from.Equals(IPAddress.Any) || from.Equals(IPAddress.IPv6Any))
        {
            // Connecting to the unspecified address reaches loopback.
            from = from.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;
        }

        if (from.AddressFamily == AddressFamily.InterNetwork && client.IsIPv4MappedToIPv6)
        {
            client = client.MapToIPv4();
        }
        else if (from.AddressFamily == AddressFamily.InterNetworkV6 && client.AddressFamily == AddressFamily.InterNetwork)
        {
            client = client.MapToIPv6();
        }

        return true;
    }

    private static bool IsLocalAddress(IPAddress address)
    {
        try
        {
            foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                foreach (UnicastIPAddressInformation unicast in nic.GetIPProperties().UnicastAddresses)
                {
                    if (unicast.Address.Equals(address))
                    {
                        return true;
                    }
                }
            }
        }
        catch (NetworkInformationException)
        {
            // Unknown: treat as remote (the check is skipped, never wrongly failed).
        }

        return false;
    }

    private static string FamilyName(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";

    private static string FirstLine(string text)
    {
        text = text.Trim();
        int newline = text.IndexOf('\n', StringComparison.Ordinal);
        return (newline < 0 ? text : text[..newline]).Trim();
    }

    private static string Seconds(TimeSpan timeout) => timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    private static string DescribeSocketError(SocketError error) => ErrnoExtensions.Describe(error);
}
