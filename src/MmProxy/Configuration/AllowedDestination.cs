using System.Net;

namespace MmProxy.Configuration;

/// <summary>One line of an allowed-destinations list: a subnet and an inclusive port range (every port when not given).</summary>
internal readonly record struct AllowedDestination(IPNetwork Network, int FirstPort, int LastPort)
{
    public bool Contains(IPAddress address, int port) => port >= FirstPort && port <= LastPort && Network.Contains(address);

    public override string ToString() => FirstPort == 1 && LastPort == ushort.MaxValue
        ? Network.ToString()
        : FirstPort == LastPort ? $"{Network} {FirstPort}" : $"{Network} {FirstPort}-{LastPort}";
}
