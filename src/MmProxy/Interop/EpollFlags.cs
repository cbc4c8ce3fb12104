namespace MmProxy.Interop;

/// <summary>epoll event bits (sys/epoll.h).</summary>
internal static class EpollFlags
{
    public const uint In = 0x001;
    public const uint Out = 0x004;
    public const uint Err = 0x008;
    public const uint Hup = 0x010;
    public const uint RdHup = 0x2000;
    public const uint EdgeTriggered = 1u << 31;
}
