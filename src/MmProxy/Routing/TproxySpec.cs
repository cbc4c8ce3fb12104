using System.Globalization;

namespace MmProxy.Routing;

/// <summary>
/// What `--tproxy PORTS --to PORT [-p tcp|udp|both] [--tproxy-mark N]` asks for: connections and
/// datagrams to any of <see cref="Ports"/> (whatever their destination address) go to the
/// transparent listener on <see cref="ListenPort"/>, marked with <see cref="Mark"/> so that the
/// fwmark rule routes them locally.
/// </summary>
internal sealed record TproxySpec(PortSet Ports, int ListenPort, TproxyProtocols Protocols = TproxyProtocols.Tcp, uint Mark = TproxySpec.DefaultMark)
{
    public const uint DefaultMark = 1;

    /// <summary>"tcp", "udp" or "tcp and udp".</summary>
    public string ProtocolsText => Protocols switch
    {
        TproxyProtocols.Tcp => "tcp",
        TproxyProtocols.Udp => "udp",
        _ => "tcp and udp",
    };

    /// <summary>The mark as nft writes it (0x1).</summary>
    public string MarkHex => "0x" + Mark.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>The options that ask for this again, for a fix: " --tproxy 80,443 --to 9000[ -p both][ --tproxy-mark 0x2]".</summary>
    public string CommandLineOptions
    {
        get
        {
            string options = $" --tproxy {Ports} --to {ListenPort.ToString(CultureInfo.InvariantCulture)}";
            if (Protocols != TproxyProtocols.Tcp)
            {
                options += Protocols == TproxyProtocols.Udp ? " -p udp" : " -p both";
            }

            return Mark == DefaultMark ? options : options + " --tproxy-mark " + MarkHex;
        }
    }
}
