using System.Globalization;

namespace MmProxy.Routing;

/// <summary>An inclusive range of ports, <see cref="First"/> ≤ <see cref="Last"/> (one port: both equal).</summary>
internal readonly record struct PortRange(int First, int Last)
{
    /// <summary>"443" or "10000-10999": how the command line and nft write it.</summary>
    public override string ToString() => First == Last
        ? First.ToString(CultureInfo.InvariantCulture)
        : First.ToString(CultureInfo.InvariantCulture) + "-" + Last.ToString(CultureInfo.InvariantCulture);
}
