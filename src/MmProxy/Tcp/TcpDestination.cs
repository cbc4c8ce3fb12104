using System.Net;
using MmProxy.Configuration;
using MmProxy.Interop;
using MmProxy.ProxyProtocol;

namespace MmProxy.Tcp;

/// <summary>
/// Where one connection goes: -4/-6 by the client's family (<see cref="TargetSelector"/>); with
/// --dynamic-destination the header's destination, only where --allowed-destinations allows it and
/// never the proxy's own listening address; a target without a port (a TPROXY listener) takes the
/// port the client connected to, its original destination.
/// </summary>
internal sealed class TcpDestination
{
    private readonly ProxyOptions _options;
    private readonly TargetSelector _selector;
    private readonly IPEndPoint _listen;
    private readonly AllowedDestinationsProvider? _destinations;

    public TcpDestination(ProxyOptions options, TargetSelector selector, IPEndPoint listen, AllowedDestinationsProvider? destinations = null)
    {
        _options = options;
        _selector = selector;
        _listen = listen;
        _destinations = destinations ?? (options.AllowedDestinations is { } d ? new AllowedDestinationsProvider(d) : null);
    }

    /// <summary>The target and bind address; <paramref name="refused"/> says why a dynamic destination is not served (the selection is then empty).</summary>
    public TargetSelection Resolve(TcpConnection c, out string? refused)
    {
        refused = null;
        TargetSelection selection;
        if (!_options.DynamicDestination || c.ClientEndPoint is null)
        {
            if (_options.DynamicDestination && !_options.TargetsGiven)
            {
                refused = "is not given (a LOCAL or UNKNOWN header) and there is no -4/-6 for such connections";
                return default;
            }

            selection = _selector.Select(c.ClientEndPoint, c.Peer);
        }
        else
        {
            refused = Refusal(c.Destination);
            if (refused is not null)
            {
                return default;
            }

            selection = TargetSelector.ForTarget(c.ClientEndPoint, c.Destination.ToIPEndPoint());
        }

        if (selection.Succeeded && selection.Target!.Port == 0)
        {
            int port = RawSocket.TryGetLocalAddress(c.ClientFd, out NativeSocketAddress local) ? local.Port : 0;
            if (port == 0 || port == _listen.Port)
            {
                // Not steered by TPROXY: the "original destination" is this listener, which must not connect to itself.
                refused = "is the listening port itself (a port-less target takes the port a TPROXY rule steered the client from)";
                return default;
            }

            selection = selection with { Target = new IPEndPoint(selection.Target.Address, port) };
        }

        return selection;
    }

    private static bool IsMulticast(IPAddress address) =>
        address.IsIPv6Multicast || (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && (address.GetAddressBytes()[0] & 0xF0) == 0xE0);

    private string? Refusal(in ProxyAddress destination)
    {
        if (!destination.IsIP || destination.Port == 0)
        {
            return "has no address and port";
        }

        IPAddress address = destination.ToIPAddress();
        address = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

        // 0.0.0.0 and :: connect to this host (Linux), and the proxy's own listening addresses
        // would chain it through itself or past another listener's allowed subnets: never, whatever the list says.
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast) || IsMulticast(address))
        {
            return "is not a unicast address";
        }

        // This listener is one of them (TcpListener registers every socket it opens).
        if (ListeningEndPoints.Contains(address, destination.Port))
        {
            return "is the proxy's own listening address";
        }

        return _destinations!.Current.Contains(address, destination.Port) ? null : "is not in --allowed-destinations";
    }
}
