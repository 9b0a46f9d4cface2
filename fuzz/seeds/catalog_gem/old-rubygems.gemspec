Gem::Specification.new do |s|
  s.name = %q{json_pure}
  s.version = %q<1.8.6>
  s.licenses = [%q{Ruby}, "GPL-2.0".freeze]
end
