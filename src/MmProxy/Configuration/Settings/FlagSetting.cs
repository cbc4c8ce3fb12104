namespace MmProxy.Configuration.Settings;

/// <summary>A flag without a value (<c>--crc32c</c>), true or false in the configuration file; off unless given.</summary>
internal sealed class FlagSetting(string flag, string field, string description)
    : Setting(flag, [], field, string.Empty, description, hidden: false)
{
    public override string Expected => "true or false";
}
