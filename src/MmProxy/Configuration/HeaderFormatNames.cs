namespace MmProxy.Configuration;

/// <summary>The names of <see cref="UdpHeaderFormat"/> and <see cref="SendHeaderFormat"/> on the command line, in the configuration file, logs and metrics.</summary>
internal static class HeaderFormatNames
{
    /// <summary>--udp-header's names, indexed by <see cref="UdpHeaderFormat"/>.</summary>
    public static IReadOnlyList<string> UdpNames { get; } = ["v2", "v2-first", "spp"];

    public static string Name(UdpHeaderFormat format) => UdpNames[(int)format];

    /// <summary><c>mmproxy send --header</c>'s names, indexed by <see cref="SendHeaderFormat"/>.</summary>
    public static IReadOnlyList<string> SendNames { get; } = ["v1", "v2", "spp"];

    public static string Name(SendHeaderFormat format) => SendNames[(int)format];

    public static SendHeaderFormat ParseSend(string name) => (SendHeaderFormat)IndexOf(SendNames, name);

    /// <summary>A canonical name (as <see cref="Settings.ChoiceSetting.TryParse"/> returns it) to its format.</summary>
    public static UdpHeaderFormat Parse(string name) => (UdpHeaderFormat)IndexOf(UdpNames, name);

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++)
        {
            if (names[i] == name)
            {
                return i;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(name), name, "not a header format");
    }
}
