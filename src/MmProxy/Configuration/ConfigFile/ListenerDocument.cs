using System.Text.Json;

namespace MmProxy.Configuration.ConfigFile;

/// <summary>
/// One entry of <c>listeners</c> as written in the file. Fields that take two shapes (a duration as
/// "5s" or seconds, subnets as a file path or an inline list) stay <see cref="JsonElement"/> here and
/// are checked by <see cref="ConfigValidator"/>, so every error can name its field.
/// </summary>
internal sealed class ListenerDocument
{
    public string? Name { get; set; }
    public string? Role { get; set; }
    public string? Protocol { get; set; }
    public string? Listen { get; set; }
    public string? Ipv4 { get; set; }
    public string? Ipv6 { get; set; }
    public string? Remote { get; set; }
    public string? Header { get; set; }
    public bool? Crc32c { get; set; }
    public bool? UniqueId { get; set; }
    public JsonElement? AllowedSubnets { get; set; }
    public JsonElement? AllowedDestinations { get; set; }
    public bool? Transparent { get; set; }
    public bool? DynamicDestination { get; set; }
    public long? Mark { get; set; }
    public long? Listeners { get; set; }
    public JsonElement? HeaderTimeout { get; set; }
    public JsonElement? ConnectTimeout { get; set; }
    public JsonElement? IdleTimeout { get; set; }
    public JsonElement? CloseAfter { get; set; }
    public long? MaxUdpFlows { get; set; }
    public long? MaxHeaderSize { get; set; }
    public long? Backlog { get; set; }
    public long? SpliceThreshold { get; set; }
    public long? PipeSize { get; set; }
    public bool? UdpGso { get; set; }
    public string? UdpHeader { get; set; }
}
