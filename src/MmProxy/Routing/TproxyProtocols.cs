namespace MmProxy.Routing;

/// <summary>Which transport protocols --tproxy diverts (-p tcp|udp|both).</summary>
[Flags]
internal enum TproxyProtocols
{
    Tcp = 1,
    Udp = 2,
    Both = Tcp | Udp,
}
