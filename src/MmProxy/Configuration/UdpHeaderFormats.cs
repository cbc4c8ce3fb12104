namespace MmProxy.Configuration;

/// <summary>The names of <see cref="UdpHeaderFormat"/> on the command line, in the configuration file, logs and metrics.</summary>
internal static class UdpHeaderFormats
{
    /// <summary>Every name, indexed by the format's value.</summary>
    public static IReadOnlyList<string> Names { get; } = ["v2", "v2-first", "spp"];

    public static string Name(UdpHeaderFormat format) => Names[(int)format];

    /// <summary>A canonical name (as <see cref="Settings.ChoiceSetting.TryParse"/> returns it) to its format.</summary>
    public static UdpHeaderFormat Parse(string name)
    {
        for (int i = 0; i < Names.Count; i++)
        {
            if (Names[i] == name)
            {
                return (UdpHeaderFormat)i;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(name), name, "not a UDP header format");
    }
}
