#include "appeal_gen.h"

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "hash.h"
#include "region.h"

typedef struct {
    const char *title;
    const char *description;
} s_text_t;

typedef struct {
    const char *name;
    int weight;
    s_text_t texts[3];
} s_category_t;

/* Weights: roughly the mix of a northern county's 12345 hotline in winter. */
static const s_category_t s_categories[] = {
    {"power",
     8,
     {{"村里路灯坏了一周",
       "村里主街的路灯坏了一周，晚上出行很不方便，老人孩子容易摔倒，希望尽快维修。"},
      {"频繁停电", "最近一周每天傍晚都停电一两个小时，冰箱里的东西都坏了，请供电所查明原因。"},
      {"电压不稳", "家里电压忽高忽低，电器经常自动断电，担心烧坏家电。"}}},
    {"water",
     8,
     {{"自来水停水两天", "小区自来水已经停水两天，事先没有任何通知，生活用水十分困难。"},
      {"水质发黄有异味", "自来水放出来发黄，有明显异味，不敢饮用，请相关部门检测水质。"},
      {"供水管道漏水", "路边供水管道破裂漏水，水流到路面结了冰，过往车辆行人很危险。"}}},
    {"heating",
     12,
     {{"暖气不热", "家里暖气不热，室温只有12度，老人孩子受不了，请供热公司尽快处理。"},
      {"暖气漏水", "楼上暖气管道漏水，渗到我家天花板，请物业和供热公司尽快维修。"},
      {"供热不达标", "今年供热一直不达标，室温不到16度，供热费却按全额收取。"}}},
    {"gas",
     4,
     {{"楼道有燃气味", "单元楼道里有明显的燃气味，担心泄漏，请燃气公司马上来检查。"},
      {"燃气表故障", "燃气表充值后不显示余额，已经停气三天，无法做饭。"},
      {"液化气涨价", "附近液化气站一罐气涨了三十元，没有任何说明，怀疑哄抬价格。"}}},
    {"policing",
     6,
     {{"夜间聚众喧哗", "小区附近烧烤店夜间有人聚众喝酒喧哗，经常闹到凌晨两三点，影响休息。"},
      {"电动车被盗", "停在楼下的电动车被盗，小区监控坏了，希望派出所帮助查找。"},
      {"冒充客服诈骗", "多位老人接到冒充客服的诈骗电话，有人已经转账，请加强防范宣传。"}}},
    {"city",
     12,
     {{"小区门口占道经营", "小区门口每天早晚有摊贩占道经营，堵塞交通，垃圾遍地。"},
      {"垃圾清运不及时", "垃圾箱已经满了好几天没人清运，气味很大，招来很多蚊蝇。"},
      {"违章搭建", "楼下住户私自搭建彩钢房，占用公共绿地，挡住了消防通道。"}}},
    {"market",
     7,
     {{"超市出售过期食品", "在附近超市买到过期的牛奶，找店家理论不给退换。"},
      {"商家缺斤短两", "早市上买肉发现缺斤短两，一斤少了二两，请市场监管部门检查。"},
      {"培训机构拒不退费", "孩子报名的培训机构突然停课，拒不退还剩余学费。"}}},
    {"environment",
     6,
     {{"工厂夜间排放刺鼻气体", "附近工厂夜间排放刺鼻气体，晚上根本不敢开窗。"},
      {"河道倾倒垃圾", "有人往村边河道倾倒建筑垃圾和生活垃圾，河水发黑发臭。"},
      {"燃煤烟尘污染", "附近散户大量燃烧劣质散煤，烟尘很大，空气很差。"}}},
    {"roads",
     8,
     {{"道路坑洼不平", "村里通往镇上的道路坑洼不平，雨天积水，车辆无法通行。"},
      {"积雪未清理", "下雪三天了，主路积雪还没有清理，路面结冰，已经有人摔倒。"},
      {"路口信号灯损坏", "路口信号灯坏了好几天，车辆通行混乱，存在安全隐患。"}}},
    {"labor",
     8,
     {{"拖欠农民工工资", "工地拖欠农民工工资三个月，老板一直推脱，二十多名工人等着回家过年。"},
      {"未签劳动合同", "在饭店工作半年，老板一直不签劳动合同，也不交社保。"},
      {"工伤无人处理", "在工地干活时摔伤，老板不承认是工伤，医药费都是自己垫付的。"}}},
    {"land",
     5,
     {{"草场边界纠纷", "草场边界纠纷，邻居越界放牧，多次协商未果，请嘎查村委会调解。"},
      {"征地补偿未到位", "修路征用了我家耕地，补偿款至今没有发放到位。"},
      {"宅基地被占", "邻居建房占用了我家宅基地，多次协商未果。"}}},
    {"social",
     6,
     {{"养老金未按时发放", "本月养老金到现在还没有到账，请社保部门查一下原因。"},
      {"低保资格被取消", "家里情况没有变化，低保资格却被取消了，希望重新核查。"},
      {"残疾人补贴未到账", "残疾人两项补贴已经三个月没有到账。"}}},
    {"health",
     5,
     {{"异地就医报销难", "在外地住院回来报销，手续繁琐，跑了好几趟还没办成。"},
      {"村卫生室缺医少药", "村卫生室经常没人值班，常用药也买不到，看病要跑几十公里。"},
      {"诊所违规输液", "附近一家私人诊所没有资质却给病人输液，存在安全隐患。"}}},
    {"education",
     4,
     {{"校车超载", "学校校车严重超载，孩子上下学安全没有保障。"},
      {"学校乱收费", "学校以资料费名义向学生收取费用，没有开收据。"},
      {"孩子无法就近入学", "孩子户口在本地，却被告知学位已满，无法就近入学。"}}},
    {"other",
     7,
     {{"咨询草原补奖政策", "想咨询一下今年的草原生态保护补助奖励政策如何申请。"},
      {"建议增开公交线路", "建议增开一条从村里到县城的公交线路，方便群众出行。"},
      {"表扬网格员", "社区网格员帮助独居老人解决了取暖问题，特此表扬。"}}},
};
#define S_CATEGORIES (sizeof s_categories / sizeof s_categories[0])

/* What a street camera reports: things seen, not things suffered. */
static const struct {
    const char *category;
    s_text_t text;
} s_camera_texts[] = {
    {"city", {"占道经营", "路口有流动摊贩占道经营，影响行人通行。"}},
    {"city", {"垃圾满溢", "路边垃圾箱周围垃圾满溢，未及时清运。"}},
    {"roads", {"路面积雪结冰", "主干道路面积雪结冰未清理，车辆行驶缓慢。"}},
    {"roads", {"井盖缺失", "人行道井盖缺失，存在安全隐患。"}},
    {"environment", {"露天焚烧", "空地有人露天焚烧垃圾，浓烟较大。"}},
    {"policing", {"夜间人员聚集", "夜间有多人在路口聚集争吵，需派员查看。"}},
};
#define S_CAMERA_TEXTS (sizeof s_camera_texts / sizeof s_camera_texts[0])

typedef enum { S_PHONE, S_NAME, S_NOBODY } s_reporter_kind_t;

static const struct {
    const char *name;
    int weight;
    const char *lead; /* how the person taking it down starts the description */
    s_reporter_kind_t reporter;
    bool coordinates; /* the channel knows where the person stood */
} s_channels[] = {
    {"hotline", 40, "市民来电反映：", S_PHONE, true},
    {"wechat", 15, "", S_PHONE, true},
    {"web", 10, "", S_PHONE, false},
    {"app", 15, "", S_PHONE, true},
    {"visit", 6, "群众来访反映：", S_NAME, false},
    {"meeting", 4, "议事会上群众反映：", S_NAME, false},
    {"petition", 3, "来信反映：", S_NAME, false},
    {"camera", 7, "视频巡查发现：", S_NOBODY, true},
};
#define S_CHANNELS (sizeof s_channels / sizeof s_channels[0])

static const char *s_phone_prefixes[] = {"138", "139", "150", "151", "152", "158", "135", "136",
                                         "187", "186", "155", "177", "199", "181", "133"};
static const char *s_surnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "周",
                                   "吴", "孙", "马", "高", "郭", "何", "胡", "韩"};
static const char *s_mongolian_names[] = {"巴特尔", "其其格", "乌力吉", "萨仁高娃",
                                          "额尔敦", "斯琴",   "朝鲁",   "图雅"};
#define S_COUNT(a) (sizeof(a) / sizeof(a)[0])

/* Approximate centres of the league/city seats, so points land in the right part of a region
 * 2,400 km wide. */
static const struct {
    const char *city;
    double lat, lon;
} s_city_centres[] = {
    {"1501", 40.84, 111.75}, {"1502", 40.66, 109.84}, {"1503", 39.65, 106.79},
    {"1504", 42.26, 118.89}, {"1505", 43.65, 122.24}, {"1506", 39.61, 109.78},
    {"1507", 49.21, 119.77}, {"1508", 40.74, 107.39}, {"1509", 41.00, 113.13},
    {"1522", 46.08, 122.07}, {"1525", 43.93, 116.09}, {"1529", 38.85, 105.73},
};

typedef struct {
    char code[13];
    char *address;  /* county + township + short village name */
    bool community; /* a 社区 (blocks of flats) rather than a 村/嘎查 (houses in groups) */
    double lat, lon;
} s_village_t;

struct appeal_gen {
    s_village_t *villages;
    size_t village_count;
    uint64_t seed;
    uint64_t state; /* splitmix64 */
    uint64_t sequence;
    char day[9];
    int category_total, channel_total;
};

static uint64_t s_next(appeal_gen_t *self)
{
    /* splitmix64 (Steele, Lea, Flood 2014): one add and three mixes, passes BigCrush, and any
     * seed, 0 included, is a good one. */
    uint64_t z = (self->state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* 0..n-1. The modulo bias is n / 2^64: invisible at these sizes. */
static uint32_t s_below(appeal_gen_t *self, uint32_t n)
{
    return (uint32_t)(s_next(self) % n);
}

/* [0, 1) */
static double s_uniform(appeal_gen_t *self)
{
    return (double)(s_next(self) >> 11) * 0x1.0p-53;
}

/* The name of a county or township, "" for anything else: what a village's address is made
 * of. */
static const char *s_place_name(const region_table_t *table, const char *code)
{
    const region_t *place = region_lookup(table, code);
    return place && (place->level == REGION_COUNTY || place->level == REGION_TOWNSHIP) ? place->name
                                                                                       : "";
}

static bool s_ends_with(const char *text, const char *suffix)
{
    size_t tl = strlen(text), sl = strlen(suffix);
    return tl >= sl && memcmp(text + tl - sl, suffix, sl) == 0;
}

/* "昭君道社区居民委员会" -> "昭君道社区", "大新营村民委员会" -> "大新营村": the name people say,
 * not the committee's. */
static void s_short_name(const char *name, char *out, size_t outlen, bool *community)
{
    static const struct {
        const char *suffix, *replacement;
        bool community;
    } rules[] = {
        {"社区居民委员会", "社区", true}, {"社区居委会", "社区", true}, {"村民委员会", "村", false},
        {"居民委员会", "社区", true},     {"村委会", "村", false},      {"居委会", "社区", true},
        {"嘎查委员会", "嘎查", false},    {"委员会", "", false},
    };
    snprintf(out, outlen, "%s", name);
    *community = s_ends_with(name, "社区") || s_ends_with(name, "生活区");
    for (size_t i = 0; i < S_COUNT(rules); i++) {
        if (s_ends_with(name, rules[i].suffix)) {
            size_t keep = strlen(name) - strlen(rules[i].suffix);
            snprintf(out, outlen, "%.*s%s", (int)keep, name, rules[i].replacement);
            *community = rules[i].community;
            break;
        }
    }
    if (s_ends_with(out, "村村")) /* "沟村村委会" -> "沟村" */
        out[strlen(out) - strlen("村")] = '\0';
}

static void s_village_position(s_village_t *village)
{
    double lat = 41.0, lon = 111.0; /* the middle of the province, for codes of no known city */
    for (size_t i = 0; i < S_COUNT(s_city_centres); i++) {
        if (strncmp(village->code, s_city_centres[i].city, 4) == 0) {
            lat = s_city_centres[i].lat;
            lon = s_city_centres[i].lon;
        }
    }
    /* Hashed from the code, not drawn: a village stays put whatever the seed. */
    uint64_t hash = hash_fnv1a64_str(village->code);
    village->lat = lat + ((double)(hash & 0xFFFF) / 65535.0 - 0.5) * 0.7;
    village->lon = lon + ((double)((hash >> 16) & 0xFFFF) / 65535.0 - 0.5) * 1.0;
}

static bool s_is_digits(const char *text, size_t min, size_t max)
{
    size_t len = strlen(text);
    if (len < min || len > max)
        return false;
    for (size_t i = 0; i < len; i++)
        if (text[i] < '0' || text[i] > '9')
            return false;
    return true;
}

/* The villages under prefix, with their addresses; the table is not needed after this. */
static int s_load(appeal_gen_t *self, const region_table_t *table, const char *path,
                  const char *prefix, char *err, size_t errlen)
{
    size_t count = region_under(table, prefix, REGION_VILLAGE, NULL, 0);
    if (count == 0) {
        snprintf(err, errlen, "%s: no village code starts with '%s'", path, prefix);
        return -1;
    }
    const region_t **found = calloc(count, sizeof *found);
    self->villages = calloc(count, sizeof *self->villages);
    if (!found || !self->villages) {
        free(found);
        snprintf(err, errlen, "out of memory reading %s", path);
        return -1;
    }
    region_under(table, prefix, REGION_VILLAGE, found, count);
    for (size_t i = 0; i < count; i++) {
        s_village_t *v = &self->villages[i];
        char county[7], short_name[256];
        snprintf(county, sizeof county, "%.6s", found[i]->code);
        s_short_name(found[i]->name, short_name, sizeof short_name, &v->community);
        snprintf(v->code, sizeof v->code, "%s", found[i]->code);
        if (asprintf(&v->address, "%s%s%s", s_place_name(table, county),
                     found[i]->parent ? s_place_name(table, found[i]->parent->code) : "",
                     short_name) < 0) {
            v->address = NULL;
            free(found);
            snprintf(err, errlen, "out of memory reading %s", path);
            return -1;
        }
        s_village_position(v);
        self->village_count++;
    }
    free(found);
    return 0;
}

appeal_gen_t *appeal_gen_new(const char *regions_path, const char *prefix, uint64_t seed, char *err,
                             size_t errlen)
{
    if (!s_is_digits(prefix, 1, 12)) {
        snprintf(err, errlen, "region prefix '%.20s' must be 1..12 digits", prefix);
        return NULL;
    }
    appeal_gen_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->seed = seed;
    self->state = seed;
    for (size_t i = 0; i < S_CATEGORIES; i++)
        self->category_total += s_categories[i].weight;
    for (size_t i = 0; i < S_CHANNELS; i++)
        self->channel_total += s_channels[i].weight;
    /* Today in local time (China Standard Time by default), as the 12345 centre numbers its
     * tickets. */
    clock_day(clock_wall_ms(), self->day);

    region_table_t *table = region_table_load(regions_path, err, errlen);
    if (!table || s_load(self, table, regions_path, prefix, err, errlen) != 0)
        appeal_gen_destroy(&self);
    region_table_destroy(&table);
    return self;
}

void appeal_gen_destroy(appeal_gen_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    appeal_gen_t *self = *self_p;
    for (size_t i = 0; i < self->village_count; i++)
        free(self->villages[i].address);
    free(self->villages);
    free(self);
    *self_p = NULL;
}

size_t appeal_gen_village_count(const appeal_gen_t *self)
{
    return self->village_count;
}

void appeal_gen_set_day(appeal_gen_t *self, const char *day)
{
    snprintf(self->day, sizeof self->day, "%.8s", day);
}

/* Rounded to 5 decimals (about a metre): what a phone reports, and short in the body. */
static double s_coordinate(double value)
{
    return round(value * 1e5) / 1e5;
}

char *appeal_gen_next(appeal_gen_t *self, size_t *len)
{
    uint64_t n = ++self->sequence;

    int pick = (int)s_below(self, (uint32_t)self->channel_total);
    size_t channel = 0;
    while (pick >= s_channels[channel].weight)
        pick -= s_channels[channel++].weight;

    const char *category;
    const s_text_t *text;
    if (s_channels[channel].reporter == S_NOBODY) {
        size_t i = s_below(self, S_CAMERA_TEXTS);
        category = s_camera_texts[i].category;
        text = &s_camera_texts[i].text;
    } else {
        pick = (int)s_below(self, (uint32_t)self->category_total);
        size_t c = 0;
        while (pick >= s_categories[c].weight)
            pick -= s_categories[c++].weight;
        category = s_categories[c].name;
        text = &s_categories[c].texts[s_below(self, 3)];
    }

    const s_village_t *village = &self->villages[s_below(self, (uint32_t)self->village_count)];
    char region[15];
    if (s_below(self, 4) == 0)
        snprintf(region, sizeof region, "%s%02u", village->code, 1 + s_below(self, 4));
    else
        snprintf(region, sizeof region, "%s", village->code);

    char reporter[64] = "";
    if (s_channels[channel].reporter == S_PHONE)
        snprintf(reporter, sizeof reporter, "%s****%04u",
                 s_phone_prefixes[s_below(self, S_COUNT(s_phone_prefixes))], s_below(self, 10000));
    else if (s_channels[channel].reporter == S_NAME && s_below(self, 10) < 7)
        snprintf(reporter, sizeof reporter, "%s%s", s_surnames[s_below(self, S_COUNT(s_surnames))],
                 s_below(self, 2) ? "女士" : "先生");
    else if (s_channels[channel].reporter == S_NAME)
        snprintf(reporter, sizeof reporter, "%s",
                 s_mongolian_names[s_below(self, S_COUNT(s_mongolian_names))]);

    char address[512];
    if (village->community)
        snprintf(address, sizeof address, "%s%u号楼%u单元", village->address, 1 + s_below(self, 30),
                 1 + s_below(self, 6));
    else
        snprintf(address, sizeof address, "%s%u组", village->address, 1 + s_below(self, 12));
    /* A few hundred metres around the village's point: appeals from one place cluster. */
    double lat = s_coordinate(village->lat + (s_uniform(self) - 0.5) * 0.006);
    double lon = s_coordinate(village->lon + (s_uniform(self) - 0.5) * 0.008);

    char description[1024];
    snprintf(description, sizeof description, "%s%s", s_channels[channel].lead, text->description);

    json_t *location = json_object();
    json_t *body = json_object();
    char *out = NULL;
    if (location && body) {
        json_object_set_new(body, "channel", json_string(s_channels[channel].name));
        json_object_set_new(body, "region", json_string(region));
        json_object_set_new(body, "category", json_string(category));
        json_object_set_new(body, "title", json_string(text->title));
        json_object_set_new(body, "description", json_string(description));
        if (reporter[0])
            json_object_set_new(body, "reporter", json_string(reporter));
        if (s_channels[channel].coordinates) {
            json_object_set_new(location, "lat", json_real(lat));
            json_object_set_new(location, "lon", json_real(lon));
        }
        json_object_set_new(location, "address", json_string(address));
        json_object_set(body, "location", location);
        if (strcmp(s_channels[channel].name, "hotline") == 0) {
            char external_id[96];
            snprintf(external_id, sizeof external_id, "12345-%s-%llu-%04llu", self->day,
                     (unsigned long long)self->seed, (unsigned long long)n);
            json_object_set_new(body, "external_id", json_string(external_id));
        }
        /* 10 significant digits hold 5 decimals of any longitude; the default 17 would print
         * 40.38 as 40.380000000000003. */
        out = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(10));
    }
    json_decref(location);
    json_decref(body);
    if (out && len)
        *len = strlen(out);
    return out;
}
